/* addr04.c: the two mistakes of the notes' addr04 (gethostbyname, then
 * inet_ntoa of the first address), each run beside its fix. Compiled and
 * run by crates/netdb/hosts/tests/addr04.rs, which runs the name lookups
 * where /etc/nsswitch.conf says "hosts: files": no DNS query is sent.
 *
 * usage: addr04 unchecked NAME | checked NAME | inet_ntoa | static
 */
#define _GNU_SOURCE
#define USAGE "addr04 unchecked NAME | checked NAME | inet_ntoa | static"
#include "sockref.h"
#include <sys/resource.h>

/* ANCHOR: unchecked */
/* The notes' way: gethostbyname's result used at once. For a name it
 * cannot find, gethostbyname returns NULL, and h->h_name reads address 0. */
static void unchecked(const char *name)
{
    struct hostent *h = gethostbyname(name);
    printf("host: %s\n", h->h_name);
    printf("addr: %s\n", inet_ntoa(*(struct in_addr *)h->h_addr_list[0]));
}
/* ANCHOR_END: unchecked */

/* ANCHOR: checked */
/* The fix: NULL is an answer, with its reason in h_errno (not errno). */
static int checked(const char *name)
{
    char text[INET_ADDRSTRLEN];
    struct hostent *h = gethostbyname(name);

    if (h == NULL) {
        printf("gethostbyname(\"%s\"): NULL, h_errno %d: %s\n", name, h_errno, hstrerror(h_errno));
        return 1;
    }
    printf("host: %s\n", h->h_name);
    printf("addr: %s\n", inet_ntop(AF_INET, h->h_addr_list[0], text, sizeof text));
    return 0;
}
/* ANCHOR_END: checked */

/* ANCHOR: inet_ntoa */
/* inet_ntoa returns the same static buffer every time: two calls in one
 * printf print one address twice (which one depends on the compiler's
 * order of evaluation). inet_ntop writes into the caller's buffer. */
static void two_addresses(void)
{
    struct in_addr a, b;
    char ta[INET_ADDRSTRLEN], tb[INET_ADDRSTRLEN];

    inet_pton(AF_INET, "127.0.0.1", &a);
    inet_pton(AF_INET, "192.168.8.128", &b);
    printf("inet_ntoa, twice in one printf: %s and %s\n", inet_ntoa(a), inet_ntoa(b));
    printf("inet_ntop, two buffers:         %s and %s\n",
           inet_ntop(AF_INET, &a, ta, sizeof ta), inet_ntop(AF_INET, &b, tb, sizeof tb));
}
/* ANCHOR_END: inet_ntoa */

/* ANCHOR: static */
/* gethostbyname answers in static storage too: the next call overwrites
 * the previous answer, which a caller that keeps the pointer reads changed.
 * (127.0.0.1 is numeric: glibc answers it without a lookup.) */
static void static_answer(void)
{
    struct hostent *first = gethostbyname("localhost");
    if (first == NULL)
        return;
    printf("first answer: %s\n", first->h_name);
    struct hostent *second = gethostbyname("127.0.0.1");
    printf("second call: %s struct\n", second == first ? "the same" : "another");
    printf("first answer now: %s\n", first->h_name);
}
/* ANCHOR_END: static */

int main(int argc, char *argv[])
{
    struct rlimit none = { 0, 0 };

    setrlimit(RLIMIT_CORE, &none);      /* the crash below leaves no core file */
    if (argc == 3 && strcmp(argv[1], "unchecked") == 0)
        unchecked(argv[2]);
    else if (argc == 3 && strcmp(argv[1], "checked") == 0)
        return checked(argv[2]);
    else if (argc == 2 && strcmp(argv[1], "inet_ntoa") == 0)
        two_addresses();
    else if (argc == 2 && strcmp(argv[1], "static") == 0)
        static_answer();
    else
        usage_error("name one demonstration");
    return 0;
}
