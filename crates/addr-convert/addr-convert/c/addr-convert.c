/* addr-convert.c: the C twin of crates/addr-convert/addr-convert/src/main.rs.
 *
 * With no arguments: the textbook's inet_pton / inet_ntop example for
 * 192.168.8.128, and an IPv6 example. With arguments: what inet_pton,
 * inet_aton and getaddrinfo(AI_NUMERICHOST) make of each one.
 * (The Rust program adds lines for std::net, which C does not have.)
 * With --bytes: each IPv4 address's bytes printed as the notes' addr01
 * prints bytes, through char with %x, and through unsigned char.
 *
 * usage: addr-convert [ADDRESS...] | addr-convert --bytes ADDRESS...
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define USAGE "addr-convert [ADDRESS...] | addr-convert --bytes ADDRESS..."
#include "sockref.h"

/* ANCHOR: textbook */
static void textbook_example(void)
{
    /* exercise: addr-convert/textbook */
    const char *text = "192.168.8.128";
    char back[INET_ADDRSTRLEN];
    struct in_addr addr;

    if (inet_pton(AF_INET, text, &addr) != 1) {
        fprintf(stderr, "error: inet_pton rejected %s\n", text);
        exit(1);
    }
    addr.s_addr = ntohl(addr.s_addr);            /* network to host order */
    printf("inet_pton(AF_INET, \"%s\"), then ntohl:\n", text);
    printf("addr = %x\n", addr.s_addr);
    addr.s_addr = htonl(addr.s_addr);            /* host back to network order */
    inet_ntop(AF_INET, &addr, back, sizeof back);
    printf("htonl, then inet_ntop:\n");
    printf("addr = %s\n", back);
    /* end exercise */
}
/* ANCHOR_END: textbook */

static void ipv6_example(void)
{
    /* exercise: addr-convert/ipv6 */
    const char *text = "2001:db8::8:800:200c:417a";
    char back[INET6_ADDRSTRLEN];
    struct in6_addr addr;

    if (inet_pton(AF_INET6, text, &addr) != 1) {
        fprintf(stderr, "error: inet_pton rejected %s\n", text);
        exit(1);
    }
    printf("\ninet_pton(AF_INET6, \"%s\"):\naddr = ", text);
    for (size_t i = 0; i < sizeof addr.s6_addr; i++)
        printf("%02x", addr.s6_addr[i]);
    inet_ntop(AF_INET6, &addr, back, sizeof back);
    printf("\ninet_ntop:\naddr = %s\n", back);
    /* end exercise */
}

static void row(const char *parser, const char *verdict)
{
    printf("  %-26s%s\n", parser, verdict);
}

/* getaddrinfo with AI_NUMERICHOST parses the text or fails with EAI_NONAME;
 * it never sends a DNS query. It understands scope ids by interface name
 * (%lo) as well as by number, and reports the number. */
static void numeric_getaddrinfo(const char *text)
{
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res;
    char out[INET6_ADDRSTRLEN + 16];
    int rc = getaddrinfo(text, NULL, &hints, &res);

    if (rc != 0) {
        snprintf(out, sizeof out, "rejected (%s)", eai_name(rc));
    } else if (res->ai_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, out, sizeof out);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)res->ai_addr;
        inet_ntop(AF_INET6, &s6->sin6_addr, out, INET6_ADDRSTRLEN);
        if (s6->sin6_scope_id != 0)
            snprintf(out + strlen(out), 16, "%%%u", (unsigned)s6->sin6_scope_id);
    }
    if (rc == 0)
        freeaddrinfo(res);
    row("getaddrinfo(NUMERICHOST)", out);
}

static void compare_parsers(const char *text)
{
    /* exercise: addr-convert/compare */
    unsigned char bin[sizeof(struct in6_addr)];
    char out[INET6_ADDRSTRLEN];
    struct in_addr old;

    printf("input '%s'\n", text);
    row("inet_pton(AF_INET)",
        inet_pton(AF_INET, text, bin) == 1 ? inet_ntop(AF_INET, bin, out, sizeof out) : "rejected");
    row("inet_pton(AF_INET6)",
        inet_pton(AF_INET6, text, bin) == 1 ? inet_ntop(AF_INET6, bin, out, sizeof out) : "rejected");
    row("inet_aton",
        inet_aton(text, &old) ? inet_ntop(AF_INET, &old, out, sizeof out) : "rejected");
    numeric_getaddrinfo(text);
    /* end exercise */
}

/* ANCHOR: addr01 */
/* The notes' addr01 prints each byte through a char with %x. The char is
 * promoted to int for printf: where char is signed (x86-64), a byte of
 * 0x80 or more is negative and its int sign-extended, ffffff80 for 80. */
static void addr01_bytes(const char *text)
{
    struct in_addr addr;

    if (inet_pton(AF_INET, text, &addr) != 1) {
        printf("input '%s': inet_pton(AF_INET) rejects it\n", text);
        return;
    }
    const char *p = (const char *)&addr;                 /* as addr01 did */
    const unsigned char *u = (const unsigned char *)&addr;  /* the fix */
    printf("input '%s': the bytes inet_pton(AF_INET) stores, one by one:\n", text);
    printf("  char with %%x (addr01)    %x_%x_%x_%x\n", p[0], p[1], p[2], p[3]);
    printf("  unsigned char with %%x    %x_%x_%x_%x\n", u[0], u[1], u[2], u[3]);
}
/* ANCHOR_END: addr01 */

int main(int argc, char *argv[])
{
    int options_done = 0;
    int inputs = 0, bytes = 0;

    handle_help(argc, argv);
    /* Every option is checked before anything is printed, as in Rust. */
    for (int i = 1; i < argc; i++) {
        if (arg_kind(argv[i], &options_done) != ARG_OPTION)
            continue;
        if (strcmp(argv[i], "--bytes") == 0)
            bytes = 1;
        else if (strncmp(argv[i], "--bytes=", 8) == 0)
            usage_error("unexpected argument for option '--bytes': \"%s\"", argv[i] + 8);
        else
            usage_error("invalid option '%s'", argv[i]);
    }
    options_done = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_kind(argv[i], &options_done) != ARG_VALUE)
            continue;
        if (bytes) {
            addr01_bytes(argv[i]);
            inputs++;
            continue;
        }
        if (inputs++ > 0)
            putchar('\n');
        compare_parsers(argv[i]);
    }
    if (bytes && inputs == 0)
        usage_error("--bytes needs at least one ADDRESS");
    if (inputs == 0) {
        textbook_example();
        ipv6_example();
    }
    return 0;
}
