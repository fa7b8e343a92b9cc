/* partial-writes.c: the C twin of crates/data-transfer/partial-writes/src/main.rs:
 * send on a non-blocking socket returns what fit; a loop finishes the job. */
#define _DEFAULT_SOURCE
#define USAGE "partial-writes"
#include "sockref.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#define TOTAL (4 << 20)

int main(int argc, char *argv[])
{
    struct sockaddr_storage addr;
    socklen_t len;
    int listener, tx, rx;
    static char data[TOTAL], buf[256 * 1024];

    no_arguments(argc, argv);
    len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) < 0 || listen(listener, 1) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    if ((tx = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(tx, (struct sockaddr *)&addr, len) < 0)
        call_failed("connect to %s", endpoint_text(&addr));
    if ((rx = accept(listener, NULL, NULL)) < 0)
        call_failed("accept");
    close(listener);
    fcntl(tx, F_SETFL, fcntl(tx, F_GETFL) | O_NONBLOCK);
    fcntl(rx, F_SETFL, fcntl(rx, F_GETFL) | O_NONBLOCK);
    memset(data, 'd', sizeof data);

    ssize_t first = send(tx, data, TOTAL, 0);
    if (first < 0)
        call_failed("send");
    printf("send of %d bytes on a non-blocking socket: %s\n", TOTAL,
           first < TOTAL ? "a partial count, less than asked" : "everything");
    ssize_t again = send(tx, data + first, (size_t)(TOTAL - first), 0);
    if (again < 0 && errno == EAGAIN)
        printf("send again at once: %s (os error %d)\n", strerror(errno), errno);
    else if (again < 0)
        call_failed("send");
    else
        printf("send again at once: %zd more bytes\n", again);
    long sent = first + (again > 0 ? again : 0), received = 0;
    /* exercise: partial-writes/loop */
    while (received < TOTAL) {
        if (sent < TOTAL) {
            ssize_t n = send(tx, data + sent, (size_t)(TOTAL - sent), 0);
            if (n > 0)
                sent += n;
            else if (n < 0 && errno != EAGAIN)
                call_failed("send");
        }
        struct pollfd pfd = { .fd = rx, .events = POLLIN };
        if (poll(&pfd, 1, DEMO_TIMEOUT_MS) == 0) {
            fprintf(stderr, "error: nothing arrived within the timeout\n");
            return 1;
        }
        ssize_t n = recv(rx, buf, sizeof buf, 0);
        if (n > 0)
            received += n;
        else if (n < 0 && errno != EAGAIN)
            call_failed("recv");
    }
    /* end exercise */
    printf("the loop sent all %ld bytes; the receiver got %ld\n", sent, received);
    close(tx);
    close(rx);
    return 0;
}
