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

/* Options are not accepted by these twins unless listed; the first
 * positional argument is returned, NULL if none; more is a usage error. */
__attribute__((unused))
static const char *one_argument(int argc, char *argv[], const char *what)
{
    const char *arg = NULL;
    int options_done = 0;
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_OPTION)
            usage_error("invalid option '%s'", argv[i]);
        else if (arg != NULL)
            usage_error("at most one %s", what);
        else
            arg = argv[i];
    }
    return arg;
}

/* A whole decimal number that fits in an int, or -1. */
__attribute__((unused))
static long whole_number(const char *text, long max)
{
    char *end;
    long n;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    n = strtol(text, &end, 10);
    return (*end != '\0' || errno != 0 || n > max) ? -1 : n;
}

#endif /* LOOKUP_H */
