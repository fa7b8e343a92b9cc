/* lookup.h: the C half of crates/netdb/netdb/src/lib.rs, shared by the twins of
 * the address-lookup section. Each twin defines USAGE and includes
 * sockref.h first. */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <netdb.h>
#include <strings.h>
#include <unistd.h>

__attribute__((unused))
static const char *family_name(int af)
{
    switch (af) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    case AF_UNSPEC: return "AF_UNSPEC";
    default: return "AF_?";
    }
}

/* One flag of getaddrinfo or getnameinfo: its option, its name, its value. */
struct flag {
    const char *option, *name;
    int value;
};

/* "A|B|C" for the flags of `table` set in `f`, or "0". */
__attribute__((unused))
static const char *flag_names(int f, const struct flag *table, int n)
{
    static char text[256];
    text[0] = '\0';
    for (int i = 0; i < n; i++)
        if (f & table[i].value) {
            if (text[0] != '\0')
                strcat(text, "|");
            strcat(text, table[i].name);
        }
    return text[0] ? text : "0";
}

/* A missing database file makes the C functions find nothing; say so. */
__attribute__((unused))
static void check_database(const char *database, const char *file, const char *package)
{
    if (access(file, F_OK) != 0) {
        fprintf(stderr, "error: %s is missing: the %s database is empty (Debian package %s provides it)\n",
                file, database, package);
        exit(1);
    }
}

/* Whether /etc/hosts lists `name` (case-insensitively) or, if it is a
 * numeric address, that address (netdb::in_etc_hosts). */
__attribute__((unused))
static int in_etc_hosts(const char *name)
{
    unsigned char want[16], have[16];
    int family = inet_pton(AF_INET, name, want) == 1 ? AF_INET
               : inet_pton(AF_INET6, name, want) == 1 ? AF_INET6 : 0;
    char line[1024];
    FILE *f = fopen("/etc/hosts", "r");
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char *save, *field;
        line[strcspn(line, "#\n")] = '\0';
        if ((field = strtok_r(line, " \t", &save)) == NULL)
            continue;
        if (family != 0) {
            found = inet_pton(family, field, have) == 1
                    && memcmp(want, have, family == AF_INET ? 4 : 16) == 0;
            continue;
        }
        while (!found && (field = strtok_r(NULL, " \t", &save)) != NULL)
            found = strcasecmp(field, name) == 0;
    }
    fclose(f);
    return found;
}

/* The one stderr line before a lookup that may leave the machine
 * (netdb::dns_note): `what` is a name to look up, or with `reverse` an
 * address to name. */
__attribute__((unused))
static void dns_note(const char *what, int reverse, const char *avoid)
{
    unsigned char addr[16];
    int numeric = inet_pton(AF_INET, what, addr) == 1 || inet_pton(AF_INET6, what, addr) == 1;
    if ((!reverse && numeric) || in_etc_hosts(what))
        return;
    fflush(stdout);
    fprintf(stderr, "note: '%s' is not in /etc/hosts: this lookup may query the DNS servers "
                    "of /etc/resolv.conf (%s avoids it)\n", what, avoid);
}

#endif /* LOOKUP_H */
