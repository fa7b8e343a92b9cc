/* getaddrinfo.c: the C twin of crates/netdb/getaddrinfo/src/main.rs.
 * getaddrinfo with hints from the command line; every result printed. */
#define _GNU_SOURCE /* asprintf */
#define USAGE "getaddrinfo [HOST|- [SERVICE|-]] [--canonname] [--passive] [--numeric-host] [--numeric-serv] " \
              "[--addrconfig] [--v4mapped] [--all] [--family inet|inet6|unspec] [--socktype stream|dgram|raw] " \
              "[--protocol tcp|udp|NUMBER]"
#include "sockref.h"
#include "lookup.h"

static const struct flag flags[] = {
    { "--passive", "AI_PASSIVE", AI_PASSIVE },
    { "--canonname", "AI_CANONNAME", AI_CANONNAME },
    { "--numeric-host", "AI_NUMERICHOST", AI_NUMERICHOST },
    { "--v4mapped", "AI_V4MAPPED", AI_V4MAPPED },
    { "--all", "AI_ALL", AI_ALL },
    { "--addrconfig", "AI_ADDRCONFIG", AI_ADDRCONFIG },
    { "--numeric-serv", "AI_NUMERICSERV", AI_NUMERICSERV },
};
#define NFLAGS ((int)(sizeof flags / sizeof flags[0]))

static const char *socktype_name(int t)
{
    switch (t) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    case 0: return "0";
    default: return "SOCK_?";
    }
}

static const char *protocol_name(int p)
{
    static char text[16];
    if (p == IPPROTO_TCP)
        return "IPPROTO_TCP";
    if (p == IPPROTO_UDP)
        return "IPPROTO_UDP";
    snprintf(text, sizeof text, "%d", p);
    return text;
}

/* `s` in quotes, or NULL, however long: the caller frees it. */
static char *shown(const char *s)
{
    char *text;
    if (asprintf(&text, s == NULL ? "%s" : "\"%s\"", s == NULL ? "NULL" : s) < 0)
        call_failed("asprintf");
    return text;
}

/* ANCHOR: lookup */
static int lookup(const char *host, const char *service, const struct addrinfo *hints)
{
    struct addrinfo *list;
    char *call, *h = shown(host), *s = shown(service), text[INET6_ADDRSTRLEN];
    int rc, n = 0;

    if (asprintf(&call, "getaddrinfo(%s, %s, %s)", h, s, flag_names(hints->ai_flags, flags, NFLAGS)) < 0)
        call_failed("asprintf");
    free(h);
    free(s);
    if (host != NULL && !(hints->ai_flags & AI_NUMERICHOST))
        dns_note(host, 0, "--numeric-host");
    rc = getaddrinfo(host, service, hints, &list);
    if (rc != 0) {
        fprintf(stderr, "error: %s: %s (%s)\n", call, eai_name(rc), gai_strerror(rc));
        free(call);
        return 1;
    }
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next)
        n++;
    printf("%s: %d result(s)\n", call, n);
    n = 0;
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        const void *addr;
        int port;
        if (ai->ai_family == AF_INET6) {
            addr = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            port = ntohs(((struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
        } else {
            addr = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
            port = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
        }
        printf("%d. flags %s  family %s  socktype %s  protocol %s\n", ++n, flag_names(ai->ai_flags, flags, NFLAGS),
               family_name(ai->ai_family), socktype_name(ai->ai_socktype), protocol_name(ai->ai_protocol));
        printf("   canonname %s  address %s  port %d\n", ai->ai_canonname ? ai->ai_canonname : "-",
               inet_ntop(ai->ai_family, addr, text, sizeof text), port);
    }
    freeaddrinfo(list);
    free(call);
    return 0;
}
/* ANCHOR_END: lookup */

int main(int argc, char *argv[])
{
    struct addrinfo hints = { 0 };
    const char *positional[2];
    int npositional = 0, options_done = 0;

    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        int matched = 0;
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_VALUE) {
            if (npositional < 2)
                positional[npositional] = argv[i];
            npositional++;
            continue;
        }
        for (int f = 0; f < NFLAGS; f++)
            if (strcmp(argv[i], flags[f].option) == 0) {
                hints.ai_flags |= flags[f].value;
                matched = 1;
            }
        if (matched)
            continue;
        if ((v = option_value(argc, argv, &i, "--family"))) {
            if (strcmp(v, "inet") == 0) hints.ai_family = AF_INET;
            else if (strcmp(v, "inet6") == 0) hints.ai_family = AF_INET6;
            else if (strcmp(v, "unspec") == 0) hints.ai_family = AF_UNSPEC;
            else usage_error("unknown family '%s' (inet, inet6 or unspec)", v);
        } else if ((v = option_value(argc, argv, &i, "--socktype"))) {
            if (strcmp(v, "stream") == 0) hints.ai_socktype = SOCK_STREAM;
            else if (strcmp(v, "dgram") == 0) hints.ai_socktype = SOCK_DGRAM;
            else if (strcmp(v, "raw") == 0) hints.ai_socktype = SOCK_RAW;
            else usage_error("unknown socket type '%s' (stream, dgram or raw)", v);
        } else if ((v = option_value(argc, argv, &i, "--protocol"))) {
            long n = whole_number(v, 2147483647L);
            if (strcmp(v, "tcp") == 0) hints.ai_protocol = IPPROTO_TCP;
            else if (strcmp(v, "udp") == 0) hints.ai_protocol = IPPROTO_UDP;
            else if (n >= 0) hints.ai_protocol = (int)n;
            else usage_error("unknown protocol '%s' (tcp, udp or a number)", v);
        } else
            usage_error("invalid option '%s'", argv[i]);
    }
    if (npositional == 0) {
        hints.ai_flags |= AI_CANONNAME;
        return lookup("localhost", "nfs", &hints);
    }
    if (npositional > 2)
        usage_error("expected HOST [SERVICE]");
    /* glibc reads a numeric SERVICE with strtoul and keeps the low 16 bits
     * (65536 becomes port 0): a number beyond a port is refused here. */
    if (npositional == 2 && positional[1][0] >= '0' && positional[1][0] <= '9'
        && strspn(positional[1], "0123456789") == strlen(positional[1]) && whole_number(positional[1], 65535) < 0)
        usage_error("'%s' is not a port number (0 to 65535)", positional[1]);
    const char *host = strcmp(positional[0], "-") == 0 ? NULL : positional[0];
    const char *service = npositional == 2 && strcmp(positional[1], "-") != 0 ? positional[1] : NULL;
    if (host == NULL && service == NULL)
        usage_error("HOST and SERVICE cannot both be NULL");
    return lookup(host, service, &hints);
}
