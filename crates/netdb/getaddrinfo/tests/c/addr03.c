/* addr03.c: the three mistakes of the notes' addr03 (getaddrinfo for a
 * host and the nfs service, then a loop over the results), each run beside
 * its fix. Compiled and run by crates/netdb/getaddrinfo/tests/addr03.rs;
 * it looks up localhost only, which /etc/hosts answers: no DNS query.
 *
 * usage: addr03 hints | failure | leak
 */
#define _GNU_SOURCE
#define USAGE "addr03 hints | failure | leak"
#include "sockref.h"
#include <malloc.h>
#include <stddef.h>

/* ANCHOR: hints */
/* The notes fill in the hints field by field, in a struct that starts as
 * whatever the stack held. Here the stack held 0xa5 bytes, and each time
 * one field is forgotten: what does getaddrinfo make of it? */
static void hints(void)
{
    static const struct { const char *name; size_t offset, size; } fields[] = {
        { "ai_flags", offsetof(struct addrinfo, ai_flags), sizeof(int) },
        { "ai_family", offsetof(struct addrinfo, ai_family), sizeof(int) },
        { "ai_socktype", offsetof(struct addrinfo, ai_socktype), sizeof(int) },
        { "ai_protocol", offsetof(struct addrinfo, ai_protocol), sizeof(int) },
        { "ai_addrlen", offsetof(struct addrinfo, ai_addrlen), sizeof(socklen_t) },
        { "ai_addr", offsetof(struct addrinfo, ai_addr), sizeof(struct sockaddr *) },
        { "ai_canonname", offsetof(struct addrinfo, ai_canonname), sizeof(char *) },
        { "ai_next", offsetof(struct addrinfo, ai_next), sizeof(struct addrinfo *) },
    };
    struct addrinfo hint, *list;
    int err;

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        memset(&hint, 0xa5, sizeof hint);               /* the stack's garbage */
        hint.ai_flags = AI_CANONNAME;                   /* the notes' eight lines */
        hint.ai_family = 0;
        hint.ai_socktype = 0;
        hint.ai_protocol = 0;
        hint.ai_addrlen = 0;
        hint.ai_canonname = NULL;
        hint.ai_addr = NULL;
        hint.ai_next = NULL;
        memset((char *)&hint + fields[i].offset, 0xa5, fields[i].size);  /* one forgotten */
        if ((err = getaddrinfo("localhost", "nfs", &hint, &list)) != 0) {
            printf("%-12s forgotten: %s (%s)\n", fields[i].name, eai_name(err), gai_strerror(err));
        } else {
            printf("%-12s forgotten: accepted\n", fields[i].name);
            freeaddrinfo(list);
        }
    }
    /* The fix: zero the whole struct, then set what is wanted. */
    memset(&hint, 0, sizeof hint);
    hint.ai_flags = AI_CANONNAME;
    if ((err = getaddrinfo("localhost", "nfs", &hint, &list)) != 0) {
        printf("zeroed first: %s\n", eai_name(err));
        return;
    }
    printf("zeroed first: accepted\n");
    freeaddrinfo(list);
}
/* ANCHOR_END: hints */

/* ANCHOR: failure */
/* The notes print the error and go on to loop over ailist. On failure
 * getaddrinfo does not touch the list pointer, so the loop would follow
 * whatever the uninitialised variable held (here, 0xa5 bytes). */
static void failure(void)
{
    struct addrinfo hint, *ailist, *before;
    int err;

    memset(&hint, 0, sizeof hint);
    memset(&ailist, 0xa5, sizeof ailist);               /* never initialised */
    before = ailist;
    err = getaddrinfo("localhost", "no-such-service", &hint, &ailist);
    printf("getaddrinfo: %s (%s)\n", eai_name(err), gai_strerror(err));
    printf("ailist afterwards: %s\n", ailist == before ? "unchanged, still garbage" : "changed");
    /* The fix: stop at the error; ailist is only valid when err is 0. */
}
/* ANCHOR_END: failure */

/* ANCHOR: leak */
/* The notes never call freeaddrinfo. Each lookup's list stays allocated:
 * glibc's count of bytes in use (mallinfo2) grows with every call. */
static long in_use(void)
{
    return (long)mallinfo2().uordblks;
}

static void leak(void)
{
    struct addrinfo hint, *list;
    long start;

    memset(&hint, 0, sizeof hint);
    hint.ai_flags = AI_CANONNAME;
    start = in_use();
    for (int i = 0; i < 1000; i++)
        if (getaddrinfo("localhost", "nfs", &hint, &list) != 0)
            return;
    printf("1000 lookups, never freed: %ld bytes more in use\n", in_use() - start);
    start = in_use();
    for (int i = 0; i < 1000; i++)
        if (getaddrinfo("localhost", "nfs", &hint, &list) == 0)
            freeaddrinfo(list);
    printf("1000 lookups, each freed: %ld bytes more in use\n", in_use() - start);
}
/* ANCHOR_END: leak */

int main(int argc, char *argv[])
{
    if (argc == 2 && strcmp(argv[1], "hints") == 0)
        hints();
    else if (argc == 2 && strcmp(argv[1], "failure") == 0)
        failure();
    else if (argc == 2 && strcmp(argv[1], "leak") == 0)
        leak();
    else
        usage_error("name one demonstration");
    return 0;
}
