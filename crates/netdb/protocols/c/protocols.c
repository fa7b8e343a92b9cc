/* protocols.c: the C twin of crates/netdb/protocols/src/main.rs.
 * getprotoent, getprotobyname and getprotobynumber over /etc/protocols. */
#define _DEFAULT_SOURCE
#define USAGE "protocols [NAME|NUMBER]"
#include "sockref.h"
#include "lookup.h"

static void print_protocol(const struct protoent *p)
{
    /* exercise: protocols/print */
    printf("proto name: %s\n", p->p_name);
    for (char **alias = p->p_aliases; *alias != NULL; alias++)
        printf("alias name: %s\n", *alias);
    printf("proto number: %d\n\n", p->p_proto);
    /* end exercise */
}

int main(int argc, char *argv[])
{
    const char *query = at_most_one_argument(argc, argv, "NAME or NUMBER");
    struct protoent *p;

    check_database("protocols", "/etc/protocols", "netbase");
    if (query == NULL) {
        setprotoent(1);
        while ((p = getprotoent()) != NULL)
            print_protocol(p);
        endprotoent();
        return 0;
    }
    long number = whole_number(query, 2147483647L);
    p = number >= 0 ? getprotobynumber((int)number) : getprotobyname(query);
    if (p == NULL) {
        if (number >= 0)
            fprintf(stderr, "error: getprotobynumber(%ld): no such protocol\n", number);
        else
            fprintf(stderr, "error: getprotobyname(\"%s\"): no such protocol\n", query);
        return 1;
    }
    print_protocol(p);
    return 0;
}
