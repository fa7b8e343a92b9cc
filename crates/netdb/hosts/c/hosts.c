/* hosts.c: the C twin of crates/netdb/hosts/src/main.rs.
 * gethostent over /etc/hosts; gethostbyname beside getaddrinfo. */
#define _DEFAULT_SOURCE
#define USAGE "hosts [NAME]"
#include "sockref.h"
#include "lookup.h"

static const char *h_error_text(int code)
{
    switch (code) {
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND: unknown host";
    case TRY_AGAIN: return "TRY_AGAIN: host name lookup failure, try again";
    case NO_RECOVERY: return "NO_RECOVERY: unknown server error";
    case NO_DATA: return "NO_DATA: no address associated with name";
    default: return "unknown resolver error";
    }
}

static void print_host(const struct hostent *h)
{
    /* exercise: hosts/print */
    char text[INET6_ADDRSTRLEN];

    printf("host name: %s\n", h->h_name);
    for (char **alias = h->h_aliases; *alias != NULL; alias++)
        printf("alias name: %s\n", *alias);
    printf("address type: %s\n", family_name(h->h_addrtype));
    for (char **addr = h->h_addr_list; *addr != NULL; addr++)
        printf("address: %s\n", inet_ntop(h->h_addrtype, *addr, text, sizeof text));
    printf("\n");
    /* end exercise */
}

static int modern_lookup(const char *name)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_CANONNAME };
    struct addrinfo *list;
    char text[INET6_ADDRSTRLEN];
    int rc = getaddrinfo(name, NULL, &hints, &list);

    if (rc != 0) {
        fprintf(stderr, "error: getaddrinfo(\"%s\"): %s (%s)\n", name, eai_name(rc), gai_strerror(rc));
        return 1;
    }
    printf("getaddrinfo(\"%s\", SOCK_STREAM, AI_CANONNAME):\n", name);
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        const void *addr = ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                                                     : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        if (ai->ai_canonname != NULL)
            printf("canonical name: %s\n", ai->ai_canonname);
        printf("address: %s (%s)\n", inet_ntop(ai->ai_family, addr, text, sizeof text), family_name(ai->ai_family));
    }
    freeaddrinfo(list);
    return 0;
}

int main(int argc, char *argv[])
{
    const char *name = at_most_one_argument(argc, argv, "NAME");
    struct hostent *h;

    check_database("hosts", "/etc/hosts", "base-files");
    if (name == NULL) {
        sethostent(1);
        while ((h = gethostent()) != NULL)
            print_host(h);
        endhostent();
        return 0;
    }
    dns_note(name, 0, "a numeric address");
    if ((h = gethostbyname(name)) != NULL)
        print_host(h);
    else
        printf("gethostbyname(\"%s\") failed: %s\n\n", name, h_error_text(h_errno));
    return modern_lookup(name);
}
