/* byte-order.c: the C twin of crates/byte-order/byte-order/src/main.rs.
 *
 * Prints a value's bytes as the host stores them and in network order
 * (most significant byte first), with the C function and the Rust idiom
 * that convert between them. Checks htonl and friends against a portable
 * shift-and-mask definition of network order.
 *
 * usage: byte-order [VALUE...]   (decimal or 0x hexadecimal, at most 64 bits)
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "byte-order [VALUE...]   (VALUE: decimal or 0x hexadecimal, at most 64 bits)"
#include "sockref.h"

static void hex_bytes(const void *p, size_t n, char *out)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        out += sprintf(out, i ? "_%02x" : "%02x", b[i]);
}

static void print_host_order(void)
{
    uint16_t one = 1;
    unsigned char bytes[2];
    char text[8];

    memcpy(bytes, &one, sizeof one);
    hex_bytes(bytes, sizeof bytes, text);
    printf("host byte order: %s (the u16 1 is stored as %s)\n",
           bytes[0] == 1 ? "little-endian" : "big-endian", text);
}

/* Network order by definition: most significant byte first. */
static uint64_t portable_be(uint64_t x, int nbytes)
{
    unsigned char b[8];
    uint64_t out = 0;
    for (int i = 0; i < nbytes; i++)
        b[i] = (unsigned char)(x >> (8 * (nbytes - 1 - i)));
    memcpy(&out, b, (size_t)nbytes);   /* the bytes, as this host reads them */
    return out;
}

static void print_table(const char *title, const void *host, const void *net, size_t n,
                        uint64_t back, const char *to, const char *from, const char *ty)
{
    char text[32];
    char backtext[32];

    printf("%-25s%-25s%-13sRust\n", title, "", "C");
    hex_bytes(host, n, text);
    printf("%-25s%-25s%-13sx.to_ne_bytes()\n", "  stored in host order", text, "memcpy");
    hex_bytes(net, n, text);
    printf("%-25s%-25s%-13sx.to_be(), x.to_be_bytes()\n", "  network order", text, to);
    snprintf(backtext, sizeof backtext, "0x%0*" PRIx64, (int)(2 * n), back);
    printf("%-25s%-25s%-13s%s::from_be(n), %s::from_be_bytes(b)\n",
           "  back to host order", backtext, from, ty, ty);
}

static int check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        return 0;
    fprintf(stderr, "error: %s disagrees: glibc gives 0x%" PRIx64 ", the definition 0x%" PRIx64 "\n",
            what, got, want);
    return 1;
}

/* ANCHOR: u32 */
static int show_u32(uint32_t x)
{
    /* exercise: byte-order/htonl */
    uint32_t net = htonl(x);
    uint32_t back = ntohl(net);
    char title[32];

    if (check("htonl", net, portable_be(x, 4)) || check("ntohl", back, x))
        return 1;
    snprintf(title, sizeof title, "u32 0x%08" PRIx32, x);
    print_table(title, &x, &net, sizeof x, back, "htonl(x)", "ntohl(n)", "u32");
    return 0;
    /* end exercise */
}
/* ANCHOR_END: u32 */

static int show_u16(uint16_t x)
{
    /* exercise: byte-order/htons */
    uint16_t net = htons(x);
    uint16_t back = ntohs(net);
    char title[32];

    if (check("htons", net, portable_be(x, 2)) || check("ntohs", back, x))
        return 1;
    snprintf(title, sizeof title, "u16 0x%04" PRIx16, x);
    print_table(title, &x, &net, sizeof x, back, "htons(x)", "ntohs(n)", "u16");
    return 0;
    /* end exercise */
}

static int show_u64(uint64_t x)
{
    /* exercise: byte-order/htonll */
    uint64_t net = htobe64(x);
    uint64_t back = be64toh(net);
    char title[32];

    if (check("htobe64", net, portable_be(x, 8)) || check("be64toh", back, x))
        return 1;
    snprintf(title, sizeof title, "u64 0x%016" PRIx64, x);
    print_table(title, &x, &net, sizeof x, back, "htobe64(x)", "be64toh(n)", "u64");
    return 0;
    /* end exercise */
}

static int show(uint64_t n)
{
    putchar('\n');
    if (n <= UINT16_MAX)
        return show_u16((uint16_t)n);
    if (n <= UINT32_MAX)
        return show_u32((uint32_t)n);
    return show_u64(n);
}

/* Decimal digits only, or 0x and hex digits only: no sign, no spaces. */
static uint64_t parse_value(const char *text)
{
    const char *digits = text;
    int base = 10;
    char *end;

    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        digits = text + 2;
        base = 16;
    }
    if (*digits == '\0' || strspn(digits, base == 16 ? "0123456789abcdefABCDEF" : "0123456789")
                               != strlen(digits))
        usage_error("'%s' is not a number", text);
    errno = 0;
    uint64_t n = strtoull(digits, &end, base);
    if (errno == ERANGE)
        usage_error("'%s' does not fit in 64 bits", text);
    return n;
}

int main(int argc, char *argv[])
{
    /* Room for every argument, or for the three default values. */
    uint64_t *values = calloc((size_t)argc + 3, sizeof *values);
    int count = 0;
    int options_done = 0;

    handle_help(argc, argv);
    if (values == NULL)
        call_failed("calloc");
    for (int i = 1; i < argc; i++) {
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_OPTION)
            usage_error("invalid option '%s'", argv[i]);
        values[count++] = parse_value(argv[i]);
    }
    if (count == 0) {
        values[count++] = 0x1234;
        values[count++] = 0x12345678;
        values[count++] = 0x0123456789abcdefULL;
    }
    print_host_order();
    for (int i = 0; i < count; i++)
        if (show(values[i])) {
            free(values);
            return 1;
        }
    free(values);
    return 0;
}
