/* heartbeat.h: the C half of crates/heartbeat/heartbeat (UNP 24.5), shared
 * by hb-client.c and hb-server.c, as src/lib.rs and src/demo.rs are shared
 * by the Rust programs.
 *
 * UNP's version installs two handlers, SIGURG and SIGALRM. Here both
 * signals are descriptors that one poll() waits on beside the socket:
 * SIGURG through a signalfd, the alarm as a periodic timerfd. A tick raises
 * the counter, a byte from the peer resets it, and the peer is dead when
 * the counter passes nprobes. Include sockref.h first. */
#ifndef HEARTBEAT_H
#define HEARTBEAT_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum hb_role { HB_CLIENT, HB_SERVER };
enum hb_step { HB_HEARD, HB_MISSED, HB_TICK, HB_DEAD, HB_CLOSED, HB_RESET };

struct heartbeat {
    int sock, sigfd, timerfd;
    enum hb_role role;
    double nsec;
    unsigned nprobes, counter, sent, heard;
    int after_silence; /* of the last HB_HEARD */
    unsigned missed;   /* of the last HB_MISSED or HB_DEAD */
    const char *reset_call; /* of the last HB_RESET: the call that failed, */
    int reset_errno;        /* and its errno */
};

/* The errors that mean the connection itself is gone (the peer reset it),
 * not that this side failed. */
static int hb_is_reset(int e)
{
    return e == ECONNRESET || e == EPIPE || e == ENOTCONN;
}

/* For HB_RESET: "recv: Connection reset by peer (os error 104)". */
static const char *hb_reset_reason(const struct heartbeat *hb)
{
    static char text[160];
    snprintf(text, sizeof text, "%s: %s (os error %d)", hb->reset_call,
             strerror(hb->reset_errno), hb->reset_errno);
    return text;
}

static enum hb_step hb_reset(struct heartbeat *hb, const char *call, int e)
{
    hb->reset_call = call;
    hb->reset_errno = e;
    return HB_RESET;
}

/* Seconds as the Rust programs print them: 0.1, 1, 2.5. */
static const char *hb_seconds(double s)
{
    static char text[64];
    snprintf(text, sizeof text, "%.6f", s);
    char *end = text + strlen(text) - 1;
    while (*end == '0')
        *end-- = '\0';
    if (*end == '.')
        *end = '\0';
    return text;
}

static struct timespec hb_timespec(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9 + 0.5);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void hb_arm(struct heartbeat *hb, double first)
{
    struct itimerspec it = { .it_interval = hb_timespec(hb->nsec), .it_value = hb_timespec(first) };
    if (timerfd_settime(hb->timerfd, 0, &it, NULL) < 0)
        call_failed("timerfd_settime");
}

/* ANCHOR: hb_init */
static void hb_init(struct heartbeat *hb, int sock, enum hb_role role, double nsec, unsigned nprobes)
{
    sigset_t mask;
    memset(hb, 0, sizeof *hb);
    hb->sock = sock;
    hb->role = role;
    hb->nsec = nsec;
    hb->nprobes = nprobes;
    sigemptyset(&mask);
    sigaddset(&mask, SIGURG);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        call_failed("pthread_sigmask(SIG_BLOCK, SIGURG)");
    if ((hb->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
        call_failed("signalfd(SIGURG)");
    if (fcntl(sock, F_SETOWN, getpid()) < 0)
        call_failed("fcntl(F_SETOWN_EX)");
    if (fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) < 0)
        call_failed("fcntl(O_NONBLOCK)");
    if ((hb->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
        call_failed("timerfd_create");
    hb_arm(hb, nsec);
}
/* ANCHOR_END: hb_init */


/* Sends one urgent byte; returns 0, or the errno of a reset connection. */
static int hb_send_urgent(struct heartbeat *hb, unsigned char byte)
{
    /* exercise: hb-client/probe */
    if (send(hb->sock, &byte, 1, MSG_OOB | MSG_NOSIGNAL) == 1) {
        if (hb->role == HB_SERVER)
            hb->sent++;
    } else if (hb_is_reset(errno)) {
        return errno;
    } else if (errno != EAGAIN) { /* EAGAIN: a full send buffer; the counter decides */
        call_failed("send(MSG_OOB)");
    }
    return 0;
    /* end exercise */
}

/* recv(MSG_OOB): 1 with *step set when the peer's byte (or a reset) was
 * there, 0 when no urgent byte waits. The server answers each byte. */
static int hb_take_urgent(struct heartbeat *hb, enum hb_step *step)
{
    unsigned char byte;
    ssize_t n = recv(hb->sock, &byte, 1, MSG_OOB);
    if (n == 1) {
        int e;
        if (hb->role == HB_SERVER && (e = hb_send_urgent(hb, byte)) != 0) {
            *step = hb_reset(hb, "send(MSG_OOB)", e);
            return 1;
        }
        hb->after_silence = hb->counter > 1;
        if (hb->role == HB_SERVER && hb->heard == 0)
            hb_arm(hb, hb->nsec / 2); /* probes fall mid-period */
        hb->counter = 0;
        hb->heard++;
        *step = HB_HEARD;
        return 1;
    }
    if (n < 0 && hb_is_reset(errno)) {
        *step = hb_reset(hb, "recv(MSG_OOB)", errno);
        return 1;
    }
    if (n < 0 && errno != EINVAL && errno != EAGAIN)
        call_failed("recv(MSG_OOB)");
    return 0;
}

/* Normal bytes: older probes a newer urgent byte turned into normal data,
 * or whatever a misbehaving peer sends (all dropped). HB_CLOSED at end of
 * file, HB_RESET if the connection was reset, the urgent byte's step if the
 * reads reach a mark whose byte is unread, else HB_TICK. */
static enum hb_step hb_drain(struct heartbeat *hb)
{
    /* exercise: hb-server/drain */
    char buf[256];
    for (;;) {
        /* At the mark with the urgent byte unread, a normal read would
         * step over the byte and lose it: take it first. A byte that came
         * while the previous read ran is caught here. */
        enum hb_step step;
        int at = sockatmark(hb->sock);
        if (at < 0)
            call_failed("sockatmark");
        if (at == 1 && hb_take_urgent(hb, &step))
            return step;
        ssize_t got = recv(hb->sock, buf, sizeof buf, 0);
        if (got == 0)
            return HB_CLOSED;
        if (got < 0 && hb_is_reset(errno))
            return hb_reset(hb, "recv", errno);
        if (got < 0 && errno == EAGAIN)
            return HB_TICK;
        if (got < 0)
            call_failed("recv");
    }
    /* end exercise */
}

/* Closes the socket and both descriptors of hb_init (SIGURG stays
 * blocked), with FIN, not RST: a normal read first steps over the holes
 * that urgent bytes read with MSG_OOB left in the stream. Their segments
 * stay queued until a normal read passes them, and closing a socket with
 * unread data queued sends RST (RFC 2525). */
__attribute__((unused))
static void hb_close(struct heartbeat *hb)
{
    hb_drain(hb);
    close(hb->sock);
    close(hb->sigfd);
    close(hb->timerfd);
}

/* ANCHOR: hb_next */
/* Waits for the next step; returns within one period at most. */
static enum hb_step hb_next(struct heartbeat *hb)
{
    for (;;) {
        struct pollfd fds[3] = {
            { .fd = hb->sock, .events = POLLIN | POLLPRI },
            { .fd = hb->sigfd, .events = POLLIN },
            { .fd = hb->timerfd, .events = POLLIN },
        };
        if (poll(fds, 3, (int)(hb->nsec * 2000)) < 0) {
            if (errno == EINTR)
                continue;
            call_failed("poll");
        }
        struct signalfd_siginfo info;
        while (read(hb->sigfd, &info, sizeof info) == sizeof info)
            ;
        /* The peer first: a byte that came with a tick counts before it. */
        enum hb_step step;
        if (hb_take_urgent(hb, &step))
            return step;
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            enum hb_step end = hb_drain(hb);
            if (end != HB_TICK)
                return end;
        }
        if (fds[2].revents & POLLIN) {
            /* exercise: hb-client/tick */
            uint64_t expirations; /* however many: one tick */
            if (read(hb->timerfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
                call_failed("read the timerfd");
            hb->counter++;
            hb->missed = hb->counter - 1;
            if (hb->counter > hb->nprobes)
                return HB_DEAD;
            if (hb->role == HB_CLIENT) {
                int e;
                hb->sent++;
                if ((e = hb_send_urgent(hb, (unsigned char)hb->sent)) != 0)
                    return hb_reset(hb, "send(MSG_OOB)", e);
            }
            return hb->missed == 0 ? HB_TICK : HB_MISSED;
            /* end exercise */
        }
    }
}
/* ANCHOR_END: hb_next */

/* The options both programs take. */
struct hb_options {
    const char *positional[3];
    int npositional;
    double nsec;
    unsigned nprobes, count;
    int demo_peer;
};

/* Rule 4 of sockref.h: seconds, 1 ms to MAX_SECONDS, to the millisecond. */
static double hb_parse_seconds(const char *text)
{
    return (double)parse_seconds_ms(text) / 1000.0;
}

/* Rule 3 of sockref.h: digits only, 1 to 1000, never wrapped. */
static unsigned hb_parse_whole(const char *text, const char *what)
{
    unsigned long long n;
    if (!parse_whole(text, 1000, &n) || n < 1)
        usage_error("%s '%s' is not a whole number from 1 to 1000", what, text);
    return (unsigned)n;
}

static void hb_parse_options(int argc, char *argv[], int with_count, struct hb_options *o)
{
    int done = 0;
    const char *v;
    memset(o, 0, sizeof *o);
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        switch (arg_kind(argv[i], &done)) {
        case ARG_SKIP:
            break;
        case ARG_VALUE:
            if (o->npositional < 3)
                o->positional[o->npositional] = argv[i];
            o->npositional++;
            break;
        case ARG_OPTION:
            if ((v = option_value(argc, argv, &i, "--nsec")))
                o->nsec = hb_parse_seconds(v);
            else if ((v = option_value(argc, argv, &i, "--nprobes")))
                o->nprobes = hb_parse_whole(v, "--nprobes");
            else if (with_count && (v = option_value(argc, argv, &i, "--count")))
                o->count = hb_parse_whole(v, "--count");
            else if (strcmp(argv[i], "--demo-peer") == 0) /* '--demo-peer=x' is invalid */
                o->demo_peer = 1;
            else
                usage_error("invalid option '%s'", argv[i]);
        }
    }
}

/* ---- The self-demo (src/demo.rs) ---- */

static pid_t hb_demo_child;

static void hb_demo_reap(void)
{
    if (hb_demo_child > 0) {
        kill(hb_demo_child, SIGCONT);
        kill(hb_demo_child, SIGKILL);
        waitpid(hb_demo_child, NULL, 0);
        hb_demo_child = 0;
    }
}

/* The child: connects and runs `role` quietly until the peer is gone. */
static void hb_demo_peer(enum hb_role role, double nsec, unsigned nprobes,
                         const struct sockaddr_storage *addr, socklen_t len)
{
    int s = socket(addr->ss_family, SOCK_STREAM, 0);
    if (s < 0)
        call_failed("socket");
    if (connect(s, (const struct sockaddr *)addr, len) < 0)
        call_failed("connect to %s", endpoint_text(addr));
    struct heartbeat hb;
    hb_init(&hb, s, role, nsec, nprobes);
    for (;;) {
        enum hb_step step = hb_next(&hb);
        if (step == HB_DEAD || step == HB_CLOSED || step == HB_RESET)
            exit(0);
    }
}

static void hb_signal(pid_t pid, int sig, const char *name)
{
    if (kill(pid, sig) < 0)
        call_failed("kill(%d, %s)", (int)pid, name);
}

/* ANCHOR: self_demo */
static void hb_self_demo(enum hb_role role, double nsec, unsigned nprobes)
{
    struct sockaddr_storage addr;
    socklen_t len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (nprobes < 2)
        usage_error("the self-demo needs --nprobes 2 or more");
    if (listener < 0)
        call_failed("socket");
    if (bind(listener, (struct sockaddr *)&addr, len) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    if (listen(listener, 1) < 0)
        call_failed("listen");
    len = sizeof addr;
    if (getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
        call_failed("getsockname");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        call_failed("fork");
    if (pid == 0) {
        close(listener);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(1);
        hb_demo_peer(role == HB_CLIENT ? HB_SERVER : HB_CLIENT, nsec, nprobes, &addr, len);
    }
    hb_demo_child = pid;
    atexit(hb_demo_reap);
    struct pollfd pfd = { .fd = listener, .events = POLLIN };
    if (poll(&pfd, 1, 5000) <= 0) {
        check_stdout();
        fprintf(stderr, "error: accept on %s: nobody connected within 5 s\n", endpoint_text(&addr));
        exit(1);
    }
    int sock = accept(listener, NULL, NULL);
    if (sock < 0)
        call_failed("accept on %s", endpoint_text(&addr));
    const char *me = role == HB_CLIENT ? "client" : "server";
    const char *other = role == HB_CLIENT ? "server" : "client";
    outf("this process is the %s; the %s is pid %d, connected over %s\n", me, other, (int)pid,
           endpoint_text(&addr));
    outf("a probe every %s s; the %s is dead after %u %s\n", hb_seconds(nsec), other, nprobes,
           role == HB_CLIENT ? "unanswered probes" : "periods without a probe");
    const char *missed_fmt = role == HB_CLIENT ? "probe unanswered (%u of %u)" : "no probe (%u of %u)";
    struct heartbeat hb;
    hb_init(&hb, sock, role, nsec, nprobes);
    enum { HEALTHY, STOPPED, RESUMED, STOPPED_FOR_GOOD } phase = HEALTHY;
    unsigned n = 0;
    for (;;) {
        enum hb_step step = hb_next(&hb);
        if (step == HB_CLOSED) {
            check_stdout();
            fprintf(stderr, "error: the %s closed the connection\n", other);
            exit(1);
        }
        if (step == HB_RESET) {
            check_stdout();
            fprintf(stderr, "error: the %s reset the connection: %s\n", other, hb_reset_reason(&hb));
            exit(1);
        }
        if (step == HB_HEARD && phase == HEALTHY) {
            n++;
            if (role == HB_CLIENT)
                outf("reply %u\n", n);
            else
                outf("probe %u answered\n", n);
            if (n == 3) {
                hb_signal(pid, SIGSTOP, "SIGSTOP");
                outf("SIGSTOP to the %s (pid %d)\n", other, (int)pid);
                phase = STOPPED;
            }
        } else if (step == HB_MISSED && phase == STOPPED) {
            outf(missed_fmt, hb.missed, nprobes);
            outf("\n");
            if (hb.missed == nprobes - 1) {
                hb_signal(pid, SIGCONT, "SIGCONT");
                outf("SIGCONT to the %s (pid %d)\n", other, (int)pid);
                phase = RESUMED;
            }
        } else if (step == HB_HEARD && phase == RESUMED) {
            outf("the %s is back: counter reset to 0\n", other);
            hb_signal(pid, SIGSTOP, "SIGSTOP");
            outf("SIGSTOP to the %s (pid %d)\n", other, (int)pid);
            phase = STOPPED_FOR_GOOD;
        } else if (step == HB_MISSED && phase == STOPPED_FOR_GOOD) {
            outf(missed_fmt, hb.missed, nprobes);
            outf("\n");
        } else if (step == HB_DEAD && phase == STOPPED_FOR_GOOD) {
            outf(missed_fmt, hb.missed, nprobes);
            outf(": the %s is dead\n", other);
            hb_demo_reap();
            outf("SIGKILL to the %s (pid %d)\n", other, (int)pid);
            exit(0);
        } else if (step == HB_DEAD) {
            check_stdout();
            fprintf(stderr, "error: the %s was declared dead before the demo stopped it for good\n",
                    other);
            exit(1);
        }
    }
}
/* ANCHOR_END: self_demo */

#endif /* HEARTBEAT_H */
