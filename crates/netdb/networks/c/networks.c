/* networks.c: the C twin of crates/netdb/networks/src/main.rs.
 * getnetent, getnetbyname and getnetbyaddr over /etc/networks. */
#define _DEFAULT_SOURCE
#define USAGE "networks [NAME|A.B.C.D]"
#include "sockref.h"
#include "lookup.h"

/* ANCHOR: print_network */
static void print_network(const struct netent *n)
{
    /* exercise: networks/print */
    struct in_addr addr = { .s_addr = htonl(n->n_net) };   /* n_net is in host order */
    char text[INET_ADDRSTRLEN];

    printf("net name: %s\n", n->n_name);
    for (char **alias = n->n_aliases; *alias != NULL; alias++)
        printf("alias name: %s\n", *alias);
    printf("address type: %s\n", family_name(n->n_addrtype));
    printf("net number: %s (n_net = 0x%08x)\n\n", inet_ntop(AF_INET, &addr, text, sizeof text), n->n_net);
    /* end exercise */
}
/* ANCHOR_END: print_network */

int main(int argc, char *argv[])
{
    const char *query = at_most_one_argument(argc, argv, "NAME or network number");
    struct in_addr addr;
    struct netent *n;

    check_database("networks", "/etc/networks", "netbase");
    if (query == NULL) {
        setnetent(1);
        while ((n = getnetent()) != NULL)
            print_network(n);
        endnetent();
        return 0;
    }
    if (inet_pton(AF_INET, query, &addr) == 1) {
        n = getnetbyaddr(ntohl(addr.s_addr), AF_INET);
        if (n == NULL) {
            fprintf(stderr, "error: getnetbyaddr(%s, AF_INET): no such network\n", query);
            return 1;
        }
    } else if ((n = getnetbyname(query)) == NULL) {
        fprintf(stderr, "error: getnetbyname(\"%s\"): no such network\n", query);
        return 1;
    }
    print_network(n);
    return 0;
}
