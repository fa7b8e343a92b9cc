/* sockets.c: the C twin of crates/sockets/sockets/src/main.rs.
 * The three socket types side by side, and shutdown versus close, on
 * AF_UNIX socket pairs. */
#define _DEFAULT_SOURCE
#define USAGE "sockets"
#include "sockref.h"
#include <unistd.h>

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

int main(int argc, char *argv[])
{
    no_arguments(argc, argv);
    stream_merges_writes();
    seqpacket_keeps_boundaries();
    datagrams_are_whole_or_truncated();
    shutdown_half_closes();
    close_ends_with_the_last_copy();
    return 0;
}
