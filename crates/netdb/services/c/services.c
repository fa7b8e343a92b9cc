/* services.c: the C twin of crates/netdb/services/src/main.rs.
 * getservent, getservbyname and getservbyport over /etc/services. */
#define _DEFAULT_SOURCE
#define USAGE "services [NAME|PORT] [--proto PROTO] [--port PORT]"
#include "sockref.h"
#include "lookup.h"

/* ANCHOR: print_service */
static void print_service(const struct servent *s)
{
    /* exercise: services/ntohs */
    printf("servent name: %s\n", s->s_name);
    for (char **alias = s->s_aliases; *alias != NULL; alias++)
        printf("alias name: %s\n", *alias);
    /* s_port is in network byte order: printing it as it is was the textbook's bug. */
    printf("port number: %d (s_port as stored: %d)\n", ntohs((uint16_t)s->s_port), s->s_port);
    printf("proto to use: %s\n\n", s->s_proto);
    /* end exercise */
}
/* ANCHOR_END: print_service */

int main(int argc, char *argv[])
{
    const char *query = NULL, *proto = NULL;
    long port = -1;
    int options_done = 0;

    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_VALUE) {
            if (query != NULL)
                usage_error("at most one NAME or PORT");
            query = argv[i];
        } else if ((v = option_value(argc, argv, &i, "--proto")))
            proto = v;
        else if ((v = option_value(argc, argv, &i, "--port")))
            port = parse_port(v, 1);
        else
            usage_error("invalid option '%s'", argv[i]);
    }
    if (query != NULL && port >= 0)
        usage_error("--port filters the list; give it without NAME or PORT");
    check_database("services", "/etc/services", "netbase");

    const char *any = proto ? proto : "any protocol";
    if (query == NULL) {
        struct servent *s;
        int found = 0;
        setservent(1);
        while ((s = getservent()) != NULL)
            if ((proto == NULL || strcmp(s->s_proto, proto) == 0) && (port < 0 || ntohs((uint16_t)s->s_port) == port)) {
                print_service(s);
                found++;
            }
        endservent();
        /* A filter that matches nothing says so, like a failed lookup. */
        if (found == 0) {
            fflush(stdout);
            if (port >= 0 && proto != NULL)
                fprintf(stderr, "error: getservent: no entry with port %ld and protocol '%s'\n", port, proto);
            else if (port >= 0)
                fprintf(stderr, "error: getservent: no entry with port %ld\n", port);
            else if (proto != NULL)
                fprintf(stderr, "error: getservent: no entry with protocol '%s'\n", proto);
            else
                fprintf(stderr, "error: getservent: no entry at all\n");
            return 1;
        }
        return 0;
    }
    long number = whole_number(query, 65535);
    struct servent *s = number >= 0 ? getservbyport(htons((uint16_t)number), proto) : getservbyname(query, proto);
    if (s == NULL) {
        if (number >= 0)
            fprintf(stderr, "error: getservbyport(%ld, %s): no such service\n", number, any);
        else
            fprintf(stderr, "error: getservbyname(\"%s\", %s): no such service\n", query, any);
        return 1;
    }
    print_service(s);
    return 0;
}
