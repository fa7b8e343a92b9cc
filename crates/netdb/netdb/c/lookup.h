/* lookup.h: the C half of crates/netdb/netdb/src/lib.rs, shared by the twins of
 * the address-lookup section. Each twin defines USAGE and includes
 * sockref.h first. */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <netdb.h>
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

#endif /* LOOKUP_H */
