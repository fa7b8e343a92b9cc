/* sockopt.c: the C twin of crates/sockopt/sockopt/src/main.rs, a tour of
 * getsockopt and setsockopt on real sockets. */
#define _DEFAULT_SOURCE
#define USAGE "sockopt"
#include "sockref.h"
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

static int tcp(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        call_failed("socket(AF_INET, SOCK_STREAM)");
    return fd;
}

static int get_int(int fd, int level, int name, const char *what)
{
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(fd, level, name, &value, &len) < 0)
        call_failed("getsockopt(%s)", what);
    return value;
}

static void set_int(int fd, int level, int name, int value, const char *what)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        call_failed("setsockopt(%s)", what);
}

/* A listener on 127.0.0.1, any free port; its address in *addr. */
static int loopback_listener(struct sockaddr_storage *addr, socklen_t *len)
{
    int fd = tcp();
    *len = parse_endpoint("127.0.0.1", "0", 1, addr);
    if (bind(fd, (struct sockaddr *)addr, *len) < 0 || listen(fd, 1) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    *len = sizeof *addr;
    getsockname(fd, (struct sockaddr *)addr, len);
    return fd;
}

static int connect_to(const struct sockaddr_storage *addr, socklen_t len)
{
    int fd = tcp();
    if (connect(fd, (const struct sockaddr *)addr, len) < 0)
        call_failed("connect to %s", endpoint_text(addr));
    return fd;
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage addr;
    socklen_t len;
    int fd, other, conn, client;
    char byte;

    no_arguments(argc, argv);

    /* SO_TYPE */
    fd = tcp();
    other = socket(AF_INET, SOCK_DGRAM, 0);
    printf("SO_TYPE (SOL_SOCKET): %s on a TCP socket, %s on a UDP socket (read-only)\n",
           get_int(fd, SOL_SOCKET, SO_TYPE, "SO_TYPE") == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM",
           get_int(other, SOL_SOCKET, SO_TYPE, "SO_TYPE") == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
    close(other);
    close(fd);

    fd = tcp();
    set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536, "SO_RCVBUF");
    set_int(fd, SOL_SOCKET, SO_SNDBUF, 65536, "SO_SNDBUF");
    printf("SO_RCVBUF (SOL_SOCKET): asked for 65536, getsockopt says %d (Linux doubles it for its bookkeeping)\n",
           get_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"));
    printf("SO_SNDBUF (SOL_SOCKET): asked for 65536, getsockopt says %d\n", get_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"));
    close(fd);

    /* SO_REUSEADDR and TIME_WAIT: the server closes first. The old server
     * sets SO_REUSEADDR too: on Linux both sockets need it. */
    /* exercise: sockopt/reuseaddr */
    int first = tcp();
    set_int(first, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    if (bind(first, (struct sockaddr *)&addr, len) < 0 || listen(first, 1) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    len = sizeof addr;
    getsockname(first, (struct sockaddr *)&addr, &len);
    client = connect_to(&addr, len);
    if ((conn = accept(first, NULL, NULL)) < 0)
        call_failed("accept");
    close(conn);
    if (read(client, &byte, 1) < 0)
        call_failed("read the end of file");
    close(client);
    close(first);
    fd = tcp();
    printf("SO_REUSEADDR (SOL_SOCKET): default %d\n", get_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"));
    if (bind(fd, (struct sockaddr *)&addr, len) < 0)
        printf("  restart without it, while the old connection is closing: bind fails: %s (os error %d)\n",
               strerror(errno), errno);
    else
        printf("  restart without it: bind succeeded (nothing left of the old connection)\n");
    close(fd);
    fd = tcp();
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (bind(fd, (struct sockaddr *)&addr, len) < 0)
        call_failed("bind to %s with SO_REUSEADDR", endpoint_text(&addr));
    if (listen(fd, 1) < 0)
        call_failed("listen");
    printf("  restart with it set (it was set on the old server too): bind and listen succeed\n");
    /* end exercise */
    close(fd);

    /* SO_KEEPALIVE and the TCP keepalive timers */
    fd = tcp();
    printf("SO_KEEPALIVE (SOL_SOCKET): default %d; TCP_KEEPIDLE %d s, TCP_KEEPINTVL %d s, TCP_KEEPCNT %d (IPPROTO_TCP)\n",
           get_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"), get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"),
           get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"), get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT"));
    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE and TCP_KEEP*");
    set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 10, "SO_KEEPALIVE and TCP_KEEP*");
    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 2, "SO_KEEPALIVE and TCP_KEEP*");
    set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 3, "SO_KEEPALIVE and TCP_KEEP*");
    printf("  set: SO_KEEPALIVE %d; first probe after %d s idle, then every %d s, %d unanswered probes end the connection\n",
           get_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"), get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"),
           get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"), get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT"));
    close(fd);

    /* ANCHOR: linger */
    int listener = loopback_listener(&addr, &len);
    /* exercise: sockopt/linger */
    client = connect_to(&addr, len);
    if ((conn = accept(listener, NULL, NULL)) < 0)
        call_failed("accept");
    struct linger lg;
    socklen_t lglen = sizeof lg;
    if (getsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, &lglen) < 0)
        call_failed("getsockopt(SO_LINGER)");
    printf("SO_LINGER (SOL_SOCKET): default {l_onoff %d, l_linger %d}: close returns at once, the kernel sends what is left\n",
           lg.l_onoff, lg.l_onoff ? lg.l_linger : 0);
    lg.l_onoff = 1;
    lg.l_linger = 0;
    if (setsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
        call_failed("setsockopt(SO_LINGER)");
    close(conn);        /* a reset, not a FIN */
    ssize_t n = read(client, &byte, 1);
    if (n < 0)
        printf("  set to {l_onoff 1, l_linger 0}, then close: a reset; the peer's read fails: %s (os error %d)\n",
               strerror(errno), errno);
    else
        printf("  set to {l_onoff 1, l_linger 0}, then close: the peer read %zd bytes\n", n);
    close(client);
    close(listener);
    /* end exercise */
    /* ANCHOR_END: linger */

    /* TCP_NODELAY and SO_OOBINLINE */
    fd = tcp();
    int nodelay = get_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
    set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
    printf("TCP_NODELAY (IPPROTO_TCP): default %d, set %d (small writes leave at once, no Nagle wait)\n", nodelay,
           get_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"));
    int inline_set = get_int(fd, SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE");
    set_int(fd, SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
    printf("SO_OOBINLINE (SOL_SOCKET): default %d, set %d (urgent bytes stay in the stream; see the out-of-band chapter)\n",
           inline_set, get_int(fd, SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE"));
    close(fd);

    /* exercise: sockopt/so-error */
    listener = loopback_listener(&addr, &len);
    close(listener);    /* a port that was free a moment ago */
    fd = tcp();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char started[64];
    if (connect(fd, (struct sockaddr *)&addr, len) < 0 && errno == EINPROGRESS)
        snprintf(started, sizeof started, "EINPROGRESS");
    else
        snprintf(started, sizeof started, "%s", strerror(errno));
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    poll(&pfd, 1, DEMO_TIMEOUT_MS);
    const char *events = (pfd.revents & POLLERR) ? "POLLERR" : pfd.revents ? "ready" : "nothing";
    int e1 = get_int(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR"), e2 = get_int(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
    char first_text[96], second_text[96];
    if (e1)
        snprintf(first_text, sizeof first_text, "%s (os error %d)", strerror(e1), e1);
    else
        snprintf(first_text, sizeof first_text, "0");
    if (e2)
        snprintf(second_text, sizeof second_text, "%s (os error %d)", strerror(e2), e2);
    else
        snprintf(second_text, sizeof second_text, "0");
    printf("SO_ERROR (SOL_SOCKET): a non-blocking connect to a closed port gave %s; once poll said %s, SO_ERROR was: %s; "
           "read again: %s\n", started, events, first_text, second_text);
    close(fd);
    /* end exercise */

    fd = tcp();
    set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536, "SO_RCVBUF");
    const socklen_t sizes[] = { 2, 4, 16 };
    for (int i = 0; i < 3; i++) {
        unsigned char buf[16] = { 0 };
        socklen_t optlen = sizes[i];
        if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, buf, &optlen) < 0)
            call_failed("getsockopt(SO_RCVBUF) with a %u-byte buffer", sizes[i]);
        printf("getsockopt(SO_RCVBUF) with optlen %u: optlen becomes %u, bytes", sizes[i], optlen);
        for (socklen_t k = 0; k < optlen; k++)
            printf(" %02x", buf[k]);
        printf("\n");
    }
    close(fd);
    return 0;
}
