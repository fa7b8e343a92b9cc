/* datagrams.c: the C twin of crates/data-transfer/datagrams/src/main.rs:
 * sendto and recvfrom, and connect on a datagram socket. */
#define _DEFAULT_SOURCE
#define USAGE "datagrams"
#include "sockref.h"
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_storage any;
static socklen_t anylen;

static int bind_loopback(struct sockaddr_storage *addr)
{
    struct timeval limit = { DEMO_TIMEOUT_MS / 1000, 0 };
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&any, anylen) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)
        call_failed("setsockopt(SO_RCVTIMEO)");
    getsockname(fd, (struct sockaddr *)addr, &len);
    return fd;
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage server_addr, client_addr, from, nobody, scratch;
    socklen_t fromlen = sizeof from;
    char buf[100];
    char me[64];
    ssize_t n;

    no_arguments(argc, argv);
    anylen = parse_endpoint("127.0.0.1", "0", 1, &any);

    /* exercise: datagrams/sendto */
    int server = bind_loopback(&server_addr), client = bind_loopback(&client_addr);
    if (sendto(client, "ping", 4, 0, (struct sockaddr *)&server_addr, sizeof(struct sockaddr_in)) < 0)
        call_failed("sendto %s", endpoint_text(&server_addr));
    snprintf(me, sizeof me, "%s", endpoint_text(&client_addr));
    printf("client %s: sendto %s: 'ping'\n", me, endpoint_text(&server_addr));
    if ((n = recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen)) < 0)
        call_failed("recvfrom");
    buf[n] = '\0';
    printf("server: recvfrom got %zd bytes '%s' from %s\n", n, buf, endpoint_text(&from));
    if (sendto(server, "pong", 4, 0, (struct sockaddr *)&from, fromlen) < 0)
        call_failed("sendto %s", endpoint_text(&from));
    fromlen = sizeof from;
    if ((n = recvfrom(client, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen)) < 0)
        call_failed("recvfrom");
    buf[n] = '\0';
    printf("client: recvfrom got %zd bytes '%s' from %s\n", n, buf, endpoint_text(&from));
    close(server);
    close(client);
    /* end exercise */

    int gone = bind_loopback(&nobody);
    close(gone);        /* a port where nobody listens */
    int unconnected = bind_loopback(&scratch);
    if (sendto(unconnected, "anyone?", 7, 0, (struct sockaddr *)&nobody, sizeof(struct sockaddr_in)) < 0)
        call_failed("sendto %s", endpoint_text(&nobody));
    fcntl(unconnected, F_SETFL, fcntl(unconnected, F_GETFL) | O_NONBLOCK);
    fromlen = sizeof from;
    if ((n = recvfrom(unconnected, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen)) < 0)
        printf("unconnected: sendto a closed port succeeded; recvfrom: %s (os error %d)\n", strerror(errno), errno);
    else
        printf("unconnected: recvfrom got %zd bytes\n", n);
    int connected = bind_loopback(&scratch);
    if (connect(connected, (struct sockaddr *)&nobody, sizeof(struct sockaddr_in)) < 0)
        call_failed("connect to %s", endpoint_text(&nobody));
    if (send(connected, "anyone?", 7, 0) < 0)
        call_failed("send");
    if ((n = recv(connected, buf, sizeof buf, 0)) < 0)
        printf("connected: send to a closed port succeeded; the next recv: %s (os error %d)\n", strerror(errno), errno);
    else
        printf("connected: recv got %zd bytes\n", n);
    close(unconnected);
    close(connected);
    return 0;
}
