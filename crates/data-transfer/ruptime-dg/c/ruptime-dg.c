/* ruptime-dg.c: the C twin of crates/data-transfer/ruptime-dg/src/main.rs:
 * ruptime over datagrams, a client whose alarm ends the wait for a reply
 * that never comes (APUE figures 16.19 and 16.20). */
#define _DEFAULT_SOURCE
#define USAGE "ruptime-dg"
#include "sockref.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#define TIMEOUT 1                       /* seconds: alarm's unit */

static int bind_loopback(struct sockaddr_storage *addr)
{
    static struct sockaddr_storage any;
    socklen_t anylen = parse_endpoint("127.0.0.1", "0", 1, &any), len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&any, anylen) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    getsockname(fd, (struct sockaddr *)addr, &len);
    return fd;
}

/* ANCHOR: catch_sigalrm */
/* SIGALRM's handler does nothing: its arrival is the point. Without
 * SA_RESTART, a system call it interrupts fails with EINTR instead of
 * being restarted (glibc's signal() would set SA_RESTART). */
static void on_alarm(int signo)
{
    (void)signo;
}

static void catch_sigalrm(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    if (sigaction(SIGALRM, &action, NULL) < 0)
        call_failed("sigaction(SIGALRM)");
}
/* ANCHOR_END: catch_sigalrm */

/* The client's request: one datagram that says "I am here". */
static void ask(int client, const struct sockaddr_storage *to)
{
    struct sockaddr_storage me;
    socklen_t len = sizeof me;
    char them[64];

    snprintf(them, sizeof them, "%s", endpoint_text(to));
    if (sendto(client, "ruptime", 7, 0, (const struct sockaddr *)to, sizeof(struct sockaddr_in)) < 0)
        call_failed("sendto %s", them);
    getsockname(client, (struct sockaddr *)&me, &len);
    printf("client %s: sendto %s: 'ruptime'\n", endpoint_text(&me), them);
}

/* ANCHOR: wait_for_the_reply */
/* One reply, or the alarm: the wait is bounded by TIMEOUT seconds. */
static void wait_for_the_reply(int client)
{
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    char buf[128];
    ssize_t n;

    alarm(TIMEOUT);
    n = recvfrom(client, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
    alarm(0);
    if (n >= 0)
        printf("client: alarm(%d), recvfrom: '%.*s' from %s\n", TIMEOUT, (int)n, buf, endpoint_text(&from));
    else if (errno == EINTR)
        printf("client: alarm(%d), recvfrom: %s (os error %d): no reply within %d s\n",
               TIMEOUT, strerror(errno), errno, TIMEOUT);
    else
        call_failed("recvfrom");
}
/* ANCHOR_END: wait_for_the_reply */

/* The server's side: one request, answered with the machine's uptime. */
static void answer(int server)
{
    struct sockaddr_storage from, me;
    socklen_t fromlen = sizeof from, melen = sizeof me;
    char buf[64], seconds[32] = "?", reply[64], them[64];
    ssize_t n;
    FILE *f;

    if ((n = recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen)) < 0)
        call_failed("recvfrom");
    if ((f = fopen("/proc/uptime", "r")) == NULL)
        call_failed("read /proc/uptime");
    if (fscanf(f, "%31s", seconds) != 1)
        snprintf(seconds, sizeof seconds, "?");
    fclose(f);
    snprintf(reply, sizeof reply, "up %s s", seconds);
    snprintf(them, sizeof them, "%s", endpoint_text(&from));
    if (sendto(server, reply, strlen(reply), 0, (struct sockaddr *)&from, fromlen) < 0)
        call_failed("sendto %s", them);
    getsockname(server, (struct sockaddr *)&me, &melen);
    printf("server %s: recvfrom got '%.*s' from %s; sendto it the uptime\n",
           endpoint_text(&me), (int)n, buf, them);
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage scratch, to;
    struct timeval limit = { DEMO_TIMEOUT_MS / 1000, 0 };
    char buf[64];
    ssize_t n;

    no_arguments(argc, argv);
    catch_sigalrm();
    int client = bind_loopback(&scratch);

    /* A server that answers (APUE figure 16.20). */
    int server = bind_loopback(&to);
    if (setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)
        call_failed("setsockopt(SO_RCVTIMEO)");
    ask(client, &to);
    answer(server);
    wait_for_the_reply(client);

    /* A server that never answers: bound, so no ICMP error comes back. */
    int silent = bind_loopback(&to);
    ask(client, &to);
    wait_for_the_reply(client);
    if ((n = recv(silent, buf, sizeof buf, MSG_DONTWAIT)) < 0)
        call_failed("recv");
    printf("silent server %s: the request was there, unread: %zd bytes '%.*s'\n",
           endpoint_text(&to), n, (int)n, buf);
    close(silent);
    close(server);
    close(client);
    return 0;
}
