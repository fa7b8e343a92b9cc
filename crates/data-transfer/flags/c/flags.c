/* flags.c: the C twin of crates/data-transfer/flags/src/main.rs: the flags
 * of recv, on loopback, in one thread. */
#define _DEFAULT_SOURCE
#define USAGE "flags"
#include "sockref.h"
#include <poll.h>
#include <unistd.h>

/* One recv with `flags` into a buffer of `size`, described. */
static const char *show(int fd, size_t size, int flags)
{
    static char text[256];
    char buf[128];
    ssize_t n = recv(fd, buf, size, flags);
    if (n < 0) {
        snprintf(text, sizeof text, "%s (os error %d)", strerror(errno), errno);
    } else {
        size_t shown = (size_t)n < size ? (size_t)n : size;
        buf[shown] = '\0';
        snprintf(text, sizeof text, "%zd bytes '%s'", n, buf);
    }
    return text;
}

static void tcp_pair(int *tx, int *rx)
{
    struct sockaddr_storage addr;
    socklen_t len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) < 0 || listen(listener, 1) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    if ((*tx = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(*tx, (struct sockaddr *)&addr, len) < 0)
        call_failed("connect to %s", endpoint_text(&addr));
    if ((*rx = accept(listener, NULL, NULL)) < 0)
        call_failed("accept");
    close(listener);
}

int main(int argc, char *argv[])
{
    int tx, rx;
    char first[256];

    no_arguments(argc, argv);

    /* exercise: flags/stream */
    tcp_pair(&tx, &rx);
    printf("MSG_DONTWAIT on an empty socket: %s\n", show(rx, 100, MSG_DONTWAIT));
    if (send(tx, "hello", 5, 0) < 0)
        call_failed("send");
    struct pollfd pfd = { .fd = rx, .events = POLLIN };
    poll(&pfd, 1, DEMO_TIMEOUT_MS);
    printf("MSG_PEEK: %s\n", show(rx, 100, MSG_PEEK));
    printf("then a plain recv: %s\n", show(rx, 100, 0));
    if (send(tx, "world", 5, 0) < 0)
        call_failed("send");
    if (shutdown(tx, SHUT_WR) < 0)
        call_failed("shutdown(SHUT_WR)");
    printf("MSG_WAITALL for 10 bytes, 5 sent, then shutdown: %s\n", show(rx, 10, MSG_WAITALL));
    snprintf(first, sizeof first, "%s", show(rx, 100, 0));
    printf("recv after the peer's shutdown: %s, and again: %s\n", first, show(rx, 100, 0));
    close(tx);
    close(rx);
    /* end exercise */

    /* UDP truncation */
    struct sockaddr_storage to, any;
    socklen_t tolen = sizeof to, anylen = parse_endpoint("127.0.0.1", "0", 1, &any);
    rx = socket(AF_INET, SOCK_DGRAM, 0);
    tx = socket(AF_INET, SOCK_DGRAM, 0);
    if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&any, anylen) < 0 || bind(tx, (struct sockaddr *)&any, anylen) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    getsockname(rx, (struct sockaddr *)&to, &tolen);
    for (int i = 0; i < 2; i++)
        if (sendto(tx, "hello", 5, 0, (struct sockaddr *)&to, tolen) < 0)
            call_failed("sendto %s", endpoint_text(&to));
    printf("UDP, a 3-byte buffer for a 5-byte datagram: %s\n", show(rx, 3, 0));
    printf("the same with MSG_TRUNC: recv returns the datagram's length: %s\n", show(rx, 3, MSG_TRUNC));
    close(tx);
    close(rx);
    return 0;
}
