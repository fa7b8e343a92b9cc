/* datagrams.c: the C twin of crates/data-transfer/datagrams/src/main.rs:
 * sendto and recvfrom, connect on a datagram socket, and IP_RECVERR. */
#define _DEFAULT_SOURCE
#define USAGE "datagrams"
#include "sockref.h"
#include <fcntl.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/uio.h>
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

/* A port on 127.0.0.1 where nobody listens: bound a moment ago, then closed. */
static void nobody_listens(struct sockaddr_storage *nobody)
{
    close(bind_loopback(nobody));
}

static const char *origin_name(unsigned origin)
{
    static char number[8];
    switch (origin) {
    case SO_EE_ORIGIN_NONE: return "SO_EE_ORIGIN_NONE";
    case SO_EE_ORIGIN_LOCAL: return "SO_EE_ORIGIN_LOCAL";
    case SO_EE_ORIGIN_ICMP: return "SO_EE_ORIGIN_ICMP";
    case SO_EE_ORIGIN_ICMP6: return "SO_EE_ORIGIN_ICMP6";
    }
    snprintf(number, sizeof number, "%u", origin);
    return number;
}

/* ANCHOR: recverr */
static void unconnected_with_ip_recverr(void)
{
    struct sockaddr_storage nobody, scratch, to;
    char buf[100], control[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
    int on = 1;
    ssize_t n;

    nobody_listens(&nobody);
    int sock = bind_loopback(&scratch);
    if (setsockopt(sock, IPPROTO_IP, IP_RECVERR, &on, sizeof on) < 0)
        call_failed("setsockopt(IP_RECVERR)");
    if (sendto(sock, "anyone?", 7, 0, (struct sockaddr *)&nobody, sizeof(struct sockaddr_in)) < 0)
        call_failed("sendto %s", endpoint_text(&nobody));
    /* The ICMP error is queued on the socket, and poll says so: POLLERR. */
    struct pollfd pfd = { .fd = sock, .events = 0 };
    if (poll(&pfd, 1, DEMO_TIMEOUT_MS) < 0)
        call_failed("poll");
    if (!(pfd.revents & POLLERR)) {
        fprintf(stderr, "error: poll: no error came back within the timeout\n");
        exit(1);
    }
    if ((n = recvfrom(sock, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL)) < 0)
        printf("unconnected with IP_RECVERR: sendto a closed port succeeded; recvfrom: %s (os error %d)\n",
               strerror(errno), errno);
    else
        printf("unconnected with IP_RECVERR: recvfrom got %zd bytes\n", n);

    /* The error queue holds the datagram that failed, where it was sent,
     * and why, in a control message: struct sock_extended_err. */
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
    struct msghdr msg = {
        .msg_name = &to, .msg_namelen = sizeof to,
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control, .msg_controllen = sizeof control,
    };
    if ((n = recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT)) < 0)
        call_failed("recvmsg(MSG_ERRQUEUE)");
    printf("  recvmsg(MSG_ERRQUEUE): %zd bytes '%.*s', the datagram sent to %s\n",
           n, (int)n, buf, msg.msg_namelen > 0 ? endpoint_text(&to) : "no address");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
            continue;
        struct sock_extended_err err;
        struct sockaddr_in offender;
        char from[INET_ADDRSTRLEN] = "unknown";
        memcpy(&err, CMSG_DATA(c), sizeof err);
        memcpy(&offender, SO_EE_OFFENDER((struct sock_extended_err *)CMSG_DATA(c)), sizeof offender);
        if (offender.sin_family == AF_INET)
            inet_ntop(AF_INET, &offender.sin_addr, from, sizeof from);
        printf("  sock_extended_err: ee_origin %s, ee_type %u, ee_code %u%s, from %s\n",
               origin_name(err.ee_origin), err.ee_type, err.ee_code,
               err.ee_type == 3 && err.ee_code == 3 ? " (port unreachable)" : "", from);
        printf("  ee_errno: %s (os error %u)\n", strerror((int)err.ee_errno), err.ee_errno);
    }
    close(sock);
}
/* ANCHOR_END: recverr */

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

    nobody_listens(&nobody);
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

    unconnected_with_ip_recverr();
    return 0;
}
