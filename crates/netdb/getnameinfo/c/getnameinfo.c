/* getnameinfo.c: the C twin of crates/netdb/getnameinfo/src/main.rs.
 * From an address and a port back to a host and a service name. */
#define _DEFAULT_SOURCE
#define USAGE "getnameinfo [IP PORT] [--numeric-host] [--numeric-serv] [--name-required] [--dgram] [--no-fqdn]"
#include "sockref.h"
#include "lookup.h"

static const struct flag flags[] = {
    { "--numeric-host", "NI_NUMERICHOST", NI_NUMERICHOST },
    { "--numeric-serv", "NI_NUMERICSERV", NI_NUMERICSERV },
    { "--no-fqdn", "NI_NOFQDN", NI_NOFQDN },
    { "--name-required", "NI_NAMEREQD", NI_NAMEREQD },
    { "--dgram", "NI_DGRAM", NI_DGRAM },
};
#define NFLAGS ((int)(sizeof flags / sizeof flags[0]))

static int lookup(const struct sockaddr_storage *ss, socklen_t len, int f)
{
    char host[NI_MAXHOST], service[NI_MAXSERV], call[600];
    int rc;

    snprintf(call, sizeof call, "getnameinfo(%s, %s)", endpoint_text(ss), flag_names(f, flags, NFLAGS));
    if (!(f & NI_NUMERICHOST)) {
        char ip[INET6_ADDRSTRLEN];
        const void *a = ss->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                                                  : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
        dns_note(inet_ntop(ss->ss_family, a, ip, sizeof ip), 1, "--numeric-host");
    }
    rc = getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, service, sizeof service, f);
    if (rc != 0) {
        fprintf(stderr, "error: %s: %s (%s)\n", call, eai_name(rc), gai_strerror(rc));
        return 1;
    }
    printf("%s:\nhost: %s\nservice: %s\n", call, host, service);
    return 0;
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage ss;
    const char *positional[2];
    int npositional = 0, options_done = 0, f = 0;

    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
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
        for (int k = 0; k < NFLAGS; k++)
            if (strcmp(argv[i], flags[k].option) == 0) {
                f |= flags[k].value;
                matched = 1;
            }
        if (!matched)
            usage_error("invalid option '%s'", argv[i]);
    }
    if (npositional == 0)
        return lookup(&ss, parse_endpoint("127.0.0.1", "80", 1, &ss), f);
    if (npositional != 2)
        usage_error("expected IP PORT");
    socklen_t len = parse_endpoint(positional[0], positional[1], 1, &ss);
    return lookup(&ss, len, f);
}
