/* sockets.c: the C twin of crates/sockets/sockets/src/main.rs.
 * Protocol 0's default, the three socket types side by side, and shutdown
 * versus close, on AF_UNIX socket pairs; and the layout of Linux's
 * socket addresses, as glibc's headers declare them. */
#define _DEFAULT_SOURCE
#define USAGE "sockets"
#include "sockref.h"
#include <stddef.h>
#include <unistd.h>

/* ANCHOR: no_sa_len */
/* Linux's struct sockaddr begins with sa_family: BSD's has a length byte,
 * sa_len, first (and a one-byte family after it). Checked when this file
 * is compiled; a program naming sa_len does not compile here at all. */
_Static_assert(offsetof(struct sockaddr, sa_family) == 0, "sa_family comes first: no sa_len");
_Static_assert(sizeof(sa_family_t) == 2, "a two-byte family, not BSD's one byte after sa_len");
_Static_assert(sizeof(struct sockaddr_in) == 16, "struct sockaddr_in is 16 bytes");
_Static_assert(offsetof(struct sockaddr_in, sin_family) == 0, "sin_family comes first");
/* ANCHOR_END: no_sa_len */

static void pair(int type, const char *name, int sv[2])
{
    if (socketpair(AF_UNIX, type, 0, sv) < 0)
        call_failed("socketpair(AF_UNIX, %s)", name);
}

/* One recv into a buffer of `size` bytes; returns recv's value. */
static ssize_t recv_text(int fd, char *text, size_t size, int flags)
{
    ssize_t n = recv(fd, text, size, flags);
    if (n < 0)
        call_failed("recv");
    text[(size_t)n < size ? (size_t)n : size] = '\0';
    return n;
}

static void send_text(int fd, const char *text)
{
    if (send(fd, text, strlen(text), 0) < 0)
        call_failed("send");
}

static const char *protocol_name(int protocol)
{
    static char other[32];
    switch (protocol) {
    case IPPROTO_TCP: return "IPPROTO_TCP (6)";
    case IPPROTO_UDP: return "IPPROTO_UDP (17)";
    default:
        snprintf(other, sizeof other, "protocol %d", protocol);
        return other;
    }
}

/* ANCHOR: protocol */
/* socket(domain, type, 0): the kernel picks the protocol, and SO_PROTOCOL
 * says which. */
static void protocol_0_is_the_default(void)
{
    const int domains[] = { AF_INET, AF_INET6 }, types[] = { SOCK_STREAM, SOCK_DGRAM };
    const char *domain_names[] = { "AF_INET", "AF_INET6" }, *type_names[] = { "SOCK_STREAM", "SOCK_DGRAM" };

    for (int d = 0; d < 2; d++) {
        printf("protocol 0: ");
        for (int t = 0; t < 2; t++) {
            int fd = socket(domains[d], types[t], 0), protocol;
            socklen_t len = sizeof protocol;
            if (fd < 0)
                call_failed("socket(%s, %s, 0)", domain_names[d], type_names[t]);
            if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0)
                call_failed("getsockopt(SO_PROTOCOL)");
            printf("%ssocket(%s, %s, 0) is %s", t ? "; " : "", domain_names[d], type_names[t],
                   protocol_name(protocol));
            close(fd);
        }
        outf("\n");
    }
}
/* ANCHOR_END: protocol */

static void stream_merges_writes(void)
{
    /* exercise: sockets/stream */
    int sv[2];
    char text[101];
    pair(SOCK_STREAM, "SOCK_STREAM", sv);
    send_text(sv[0], "hello");
    send_text(sv[0], "world");
    ssize_t n = recv_text(sv[1], text, 100, 0);
    printf("SOCK_STREAM: wrote 'hello' and 'world'; one recv got %zd bytes '%s'\n", n, text);
    close(sv[0]);
    close(sv[1]);
    /* end exercise */
}

static void seqpacket_keeps_boundaries(void)
{
    /* exercise: sockets/seqpacket */
    int sv[2];
    char first[101], second[101];
    pair(SOCK_SEQPACKET, "SOCK_SEQPACKET", sv);
    send_text(sv[0], "hello");
    send_text(sv[0], "world");
    ssize_t n1 = recv_text(sv[1], first, 100, 0);
    ssize_t n2 = recv_text(sv[1], second, 100, 0);
    printf("SOCK_SEQPACKET: wrote 'hello' and 'world'; recv got %zd bytes '%s', then %zd bytes '%s'\n",
           n1, first, n2, second);
    close(sv[0]);
    close(sv[1]);
    /* end exercise */
}

/* ANCHOR: dgram */
static void datagrams_are_whole_or_truncated(void)
{
    int sv[2];
    char first[101], cut[4];
    pair(SOCK_DGRAM, "SOCK_DGRAM", sv);
    send_text(sv[0], "hello");
    send_text(sv[0], "world");
    ssize_t n1 = recv_text(sv[1], first, 100, 0);
    /* A 3-byte buffer: the rest is discarded; MSG_TRUNC returns the real length. */
    ssize_t real = recv_text(sv[1], cut, 3, MSG_TRUNC);
    printf("SOCK_DGRAM: wrote 'hello' and 'world'; recv got %zd bytes '%s'\n", n1, first);
    printf("SOCK_DGRAM: a 3-byte buffer got '%s'; MSG_TRUNC says the datagram had %zd bytes\n", cut, real);
    close(sv[0]);
    close(sv[1]);
}
/* ANCHOR_END: dgram */

static void shutdown_half_closes(void)
{
    /* exercise: sockets/shutdown */
    int sv[2];
    char q[101], rest[101], answer[101];
    pair(SOCK_STREAM, "SOCK_STREAM", sv);
    send_text(sv[0], "question");
    if (shutdown(sv[0], SHUT_WR) < 0)
        call_failed("shutdown(SHUT_WR)");
    recv_text(sv[1], q, 100, 0);
    ssize_t n = recv_text(sv[1], rest, 100, 0);
    if (send(sv[1], "answer", 6, 0) < 0)
        call_failed("send after the peer's shutdown");
    recv_text(sv[0], answer, 100, 0);
    printf("shutdown(SHUT_WR): the peer read '%s', then %zd bytes (end of file), and could still answer '%s'\n",
           q, n, answer);
    close(sv[0]);
    close(sv[1]);
    /* end exercise */
}

/* ANCHOR: close */
static void close_ends_with_the_last_copy(void)
{
    int sv[2];
    char probe[1], rest[101], first[64];
    pair(SOCK_STREAM, "SOCK_STREAM", sv);
    int copy = dup(sv[0]);
    if (copy < 0)
        call_failed("dup");
    close(sv[0]);       /* one of two descriptors of the same socket */
    ssize_t r = recv(sv[1], probe, 1, MSG_DONTWAIT);
    if (r < 0 && errno == EAGAIN)
        snprintf(first, sizeof first, "no end of file (EAGAIN)");
    else if (r < 0)
        call_failed("recv");
    else
        snprintf(first, sizeof first, "recv return %zd", r);
    close(copy);        /* the last copy */
    ssize_t n = recv_text(sv[1], rest, 100, 0);
    printf("close: after closing one of two copies the peer saw %s; after the last, recv returned %zd (end of file)\n",
           first, n);
    close(sv[1]);
}
/* ANCHOR_END: close */

/* The layout of the address structures in glibc's headers. */
static void sockaddr_layout(void)
{
    printf("struct sockaddr: %zu bytes, sa_family (%zu bytes) at offset %zu: no sa_len\n",
           sizeof(struct sockaddr), sizeof(sa_family_t), offsetof(struct sockaddr, sa_family));
    printf("struct sockaddr_in: %zu bytes, sin_family at offset %zu, sin_port at %zu, sin_addr at %zu\n",
           sizeof(struct sockaddr_in), offsetof(struct sockaddr_in, sin_family),
           offsetof(struct sockaddr_in, sin_port), offsetof(struct sockaddr_in, sin_addr));
}

int main(int argc, char *argv[])
{
    no_arguments(argc, argv);
    protocol_0_is_the_default();
    stream_merges_writes();
    seqpacket_keeps_boundaries();
    datagrams_are_whole_or_truncated();
    shutdown_half_closes();
    close_ends_with_the_last_copy();
    sockaddr_layout();
    return 0;
}
