/* oob.h: the C half of crates/oob/oob, shared by oob-send.c and oob-recv.c.
 *
 * The same pieces as the Rust library, in the same order:
 *   the sending scenarios          (crates/oob/oob/src/sender.rs)
 *   the lockstep self-demo pacing  (crates/oob/oob/src/pace.rs)
 *   the SIGURG handler             (crates/oob/oob/src/sigurg.rs)
 *   the receiving strategies       (crates/oob/oob/src/receiver.rs)
 * Each twin defines _GNU_SOURCE and USAGE and includes sockref.h first.
 */
#ifndef OOB_H
#define OOB_H

#include <fcntl.h>
#include <linux/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 1024

/* The flow-control receiver's buffer (FLOW_CONTROL_RCVBUF in receiver.rs). */
#define FLOW_CONTROL_RCVBUF 4096

/* One line of a transcript, behind its side's tag ("[send] ", "[recv] ", ""). */
__attribute__((format(printf, 2, 3)))
static void say(const char *tag, const char *fmt, ...)
{
    va_list ap;
    fputs(tag, stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    outf("\n");
}

/* The meaning of a failed recv(MSG_OOB), as the Rust UrgentError prints it. */
static const char *urgent_error_text(int err, int inline_set)
{
    switch (err) {
    case EINVAL:
        return inline_set ? "SO_OOBINLINE is set: read the byte inline (EINVAL)"
                          : "no urgent data pending (EINVAL)";
    case EAGAIN:
        return "urgent byte announced but not yet arrived (EAGAIN)";
    case EINTR:
        return "interrupted by a signal (EINTR)";
    default:
        return NULL;    /* the caller prints strerror */
    }
}

static int oob_inline(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;
    getsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, &len);
    return on;
}

/* Exits with "error: <what>: <meaning of errno>". */
__attribute__((noreturn))
static void urgent_failed(const char *what, int err, int inline_set)
{
    const char *meaning = urgent_error_text(err, inline_set);
    if (meaning == NULL) {
        errno = err;
        call_failed("%s", what);
    }
    fflush(stdout);
    fprintf(stderr, "error: %s: %s\n", what, meaning);
    exit(1);
}

/* ---------------------------------------------------------------- senders */

enum write_kind { W_NORMAL, W_URGENT, W_FILL };

struct write {
    enum write_kind kind;
    const char *data;   /* W_NORMAL, W_URGENT */
    size_t fill;        /* W_FILL: bytes of 'x' */
};

struct burst {
    const struct write *writes;
    int count;
};

struct scenario {
    const char *name;
    const struct burst *bursts;
    int nbursts;
    const char *partner;        /* the strategy its self-demo uses by default */
    int arrives_at_once;        /* the self-demo may wait for each burst to arrive */
};

#define BURST(...) { (const struct write[]){ __VA_ARGS__ }, \
                     sizeof((const struct write[]){ __VA_ARGS__ }) / sizeof(struct write) }
#define N(s) { W_NORMAL, s, 0 }
#define U(s) { W_URGENT, s, 0 }
#define F(n) { W_FILL, NULL, n }

/* ANCHOR: bursts */
static const struct burst classic_bursts[] = { BURST(N("123"), U("abc"), N("123")) };
static const struct burst paced_bursts[] = {
    BURST(N("123")), BURST(U("4")), BURST(N("56")), BURST(U("7")), BURST(N("89")),
};
static const struct burst mark_bursts[] = { BURST(N("123"), U("4"), N("5")) };
static const struct burst two_urgent_bursts[] = {
    BURST(N("AAA"), U("x"), N("BBB"), U("y"), N("CCC")),
};
static const struct burst flow_control_bursts[] = { BURST(F(16384), U("a"), F(1024)) };
/* ANCHOR_END: bursts */

#define SCENARIO(name, b, partner, at_once) { name, b, sizeof b / sizeof b[0], partner, at_once }
static const struct scenario scenarios[] = {
    SCENARIO("classic", classic_bursts, "plain", 1),
    SCENARIO("paced", paced_bursts, "sigurg", 1),
    SCENARIO("mark", mark_bursts, "atmark", 1),
    SCENARIO("two-urgent", two_urgent_bursts, "plain", 1),
    SCENARIO("flow-control", flow_control_bursts, "flow-control", 0),
};
#define NSCENARIOS ((int)(sizeof scenarios / sizeof scenarios[0]))

static const struct scenario *find_scenario(const char *name)
{
    for (int i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    usage_error("unknown scenario '%s' (classic, paced, mark, two-urgent, flow-control)", name);
}

/* The flow-control sender's send buffer (FLOW_CONTROL_SNDBUF in sender.rs):
 * room for every byte while the receiver's window stays closed. */
#define FLOW_CONTROL_SNDBUF (256 * 1024)

/* Options the sending socket needs: room for every byte under flow control. */
static void prepare_sender(const struct scenario *sc, int fd)
{
    int size = FLOW_CONTROL_SNDBUF;
    if (strcmp(sc->name, "flow-control") == 0
        && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0)
        call_failed("setsockopt(SO_SNDBUF, %d)", FLOW_CONTROL_SNDBUF);
}

struct sender {
    int fd;                     /* -1 once closed */
    const struct scenario *sc;
    int paced;                  /* every write a burst of its own (--paced) */
    const char *tag;
    int next_burst;
    int next_write;             /* the next write of the current burst */
    unsigned long long bytes_sent;
};

/* send until every byte is gone; on the self-demo's non-blocking socket a
 * full send buffer is an error instead of a hang. */
static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            call_failed("send");
        data += n;
        len -= (size_t)n;
    }
}

/* Sends the next burst, or when paced the next write alone; after the last
 * write, closes the connection. Returns 0 once there is nothing left to send. */
static int send_burst(struct sender *s)
{
    if (s->fd < 0)
        return 0;
    const struct burst *b = &s->sc->bursts[s->next_burst];
    int end = s->paced ? s->next_write + 1 : b->count;
    for (int i = s->next_write; i < end; i++) {
        const struct write *w = &b->writes[i];
        size_t len = w->kind == W_FILL ? w->fill : strlen(w->data);
        if (w->kind == W_NORMAL) {
            send_all(s->fd, w->data, len);
            say(s->tag, "wrote %zu bytes of normal data '%s'", len, w->data);
        } else if (w->kind == W_URGENT) {
            ssize_t n = send(s->fd, w->data, len, MSG_OOB | MSG_NOSIGNAL);
            if (n < 0)
                call_failed("send(MSG_OOB)");
            if ((size_t)n != len) {
                fprintf(stderr, "error: send(MSG_OOB) sent %zd of %zu bytes\n", n, len);
                exit(1);
            }
            say(s->tag, "wrote %zd bytes of oob data '%s'", n, w->data);
        } else {
            char *fill = malloc(len);
            if (fill == NULL)
                call_failed("malloc");
            memset(fill, 'x', len);
            send_all(s->fd, fill, len);
            free(fill);
            say(s->tag, "wrote %zu bytes of normal data", len);
        }
        s->bytes_sent += len;
    }
    s->next_write = end;
    if (s->next_write == b->count) {
        s->next_burst++;
        s->next_write = 0;
    }
    if (s->next_burst == s->sc->nbursts) {
        close(s->fd);
        s->fd = -1;
        say(s->tag, "closed the connection");
    }
    return 1;
}

/* ------------------------------------------------------------------ pace */

/* How the receiver's waits are paced: a live peer, or the self-demo's
 * sender in this thread, which sends a burst each time the receiver would
 * otherwise block. */
struct pace {
    int lockstep;
    int timeout_ms;             /* -1: wait for ever */
    int wait_eof;               /* live: first wait until the peer shut down */
    struct sender *sender;      /* lockstep */
    int receiver_fd;            /* lockstep */
};

/* Waits until the receiving socket has taken in `bytes` bytes (TCP_INFO);
 * AF_UNIX sockets deliver within send itself. */
static void wait_for_arrival(int receiver, unsigned long long bytes, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct tcp_info info;
        socklen_t len = sizeof info;
        memset(&info, 0, sizeof info);
        if (getsockopt(receiver, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) {
            if (errno == EOPNOTSUPP || errno == ENOPROTOOPT)
                return;
            call_failed("getsockopt(TCP_INFO)");
        }
        if (info.tcpi_bytes_received >= bytes)
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > timeout_ms) {
            fprintf(stderr, "error: only %llu of %llu bytes reached the receiver\n",
                    (unsigned long long)info.tcpi_bytes_received, bytes);
            exit(1);
        }
        sched_yield();
    }
}

static int poll_retry(struct pollfd *fds, int n, int timeout_ms)
{
    for (;;) {
        int r = poll(fds, (nfds_t)n, timeout_ms);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            call_failed("poll");
    }
}

/* Called just before the receiver blocks waiting for any of fds. */
static void before_block(struct pace *p, struct pollfd *fds, int n)
{
    if (!p->lockstep) {
        if (p->wait_eof) {
            struct pollfd rd = { .fd = fds[0].fd, .events = POLLRDHUP };
            p->wait_eof = 0;
            if (poll_retry(&rd, 1, p->timeout_ms) == 0) {
                fprintf(stderr, "error: the sender did not finish within the timeout\n");
                exit(1);
            }
        }
        return;
    }
    while (poll_retry(fds, n, 0) == 0) {
        if (!send_burst(p->sender))
            break;
        if (p->sender->sc->arrives_at_once)
            wait_for_arrival(p->receiver_fd, p->sender->bytes_sent, p->timeout_ms);
    }
}

/* before_block, then poll within the timeout; fds[i].revents say what is ready. */
static void pace_wait(struct pace *p, struct pollfd *fds, int n)
{
    before_block(p, fds, n);
    if (poll_retry(fds, n, p->timeout_ms) == 0) {
        fflush(stdout);
        fprintf(stderr, "error: nothing arrived within %g s (see --timeout)\n", p->timeout_ms / 1000.0);
        exit(1);
    }
}

/* pace_wait, but live a wait that outlasts limit_ms (or the timeout, if
 * shorter) returns 0 instead of failing; in lockstep it is a pace_wait. */
static int pace_wait_at_most(struct pace *p, struct pollfd *fds, int n, int limit_ms)
{
    if (p->lockstep) {
        pace_wait(p, fds, n);
        return 1;
    }
    before_block(p, fds, n);
    if (p->timeout_ms >= 0 && p->timeout_ms < limit_ms)
        limit_ms = p->timeout_ms;
    return poll_retry(fds, n, limit_ms) > 0;
}

static short pace_wait_one(struct pace *p, int fd, short events)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    pace_wait(p, &pfd, 1);
    return pfd.revents;
}

/* ---------------------------------------------------------------- SIGURG */

static int sigurg_socket = -1;
static int sigurg_pipe[2] = { -1, -1 };
static int sigurg_reads_byte;

/* ANCHOR: handler */
/* Reads the urgent byte and reports it through a pipe: write is
 * async-signal-safe, printf is not. */
static void on_sigurg(int signo)
{
    int saved_errno = errno;
    char record[2] = { 'S', 0 };
    (void)signo;
    if (sigurg_reads_byte) {
        char byte;
        ssize_t n = recv(sigurg_socket, &byte, 1, MSG_OOB);
        if (n == 1) {
            record[0] = 'B';
            record[1] = byte;
        } else if (n == 0) {
            record[0] = 'C';
        } else {
            record[0] = 'E';
            record[1] = (char)errno;
        }
    }
    if (write(sigurg_pipe[1], record, sizeof record) < 0) {
        /* a full pipe loses the record; the handler must not block */
    }
    errno = saved_errno;
}
/* ANCHOR_END: handler */

/* sigaction(SIGURG) without SA_RESTART, so blocked calls fail with EINTR. */
static void install_sigurg(int fd, int reads_byte)
{
    struct sigaction sa;
    if (pipe2(sigurg_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        call_failed("pipe2 for the SIGURG handler");
    sigurg_socket = fd;
    sigurg_reads_byte = reads_byte;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigurg;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGURG, &sa, NULL) < 0)
        call_failed("sigaction(SIGURG)");
}

/* ------------------------------------------------------------- receivers */

enum read_result { READ_DATA, READ_EOF, READ_NOTHING };

/* One normal read, printed. MSG_DONTWAIT: the strategies poll first, and on
 * AF_UNIX poll keeps reporting POLLIN after the urgent byte was read. */
static enum read_result read_normal(int fd, const char *tag)
{
    char buf[BUF_SIZE + 1];
    ssize_t n;
    do
        n = recv(fd, buf, BUF_SIZE, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return READ_NOTHING;
    if (n < 0)
        call_failed("recv");
    if (n == 0) {
        say(tag, "received EOF");
        return READ_EOF;
    }
    buf[n] = '\0';
    say(tag, "got %zd bytes of normal data '%s'", n, buf);
    return READ_DATA;
}

static void print_urgent(const char *tag, char byte)
{
    say(tag, "got 1 bytes of oob data '%c'", byte);
}

static int at_mark(int fd)
{
    int r = sockatmark(fd);
    if (r < 0)
        call_failed("sockatmark");
    return r;
}

/* Before a normal read: at the mark with the urgent byte unread, read it now
 * with MSG_OOB, or a normal read would step over it and drop it. */
static void take_urgent_at_mark(int fd, struct pace *p, int *taken, const char *tag)
{
    if (*taken || !at_mark(fd))
        return;
    for (;;) {
        char byte;
        ssize_t n = recv(fd, &byte, 1, MSG_OOB);
        if (n == 1) {
            print_urgent(tag, byte);
            *taken = 1;
            return;
        }
        if (n == 0) {
            fprintf(stderr, "error: recv(MSG_OOB): the peer closed before the urgent byte arrived\n");
            exit(1);
        }
        if (errno == EAGAIN)
            pace_wait_one(p, fd, POLLPRI);
        else if (errno == EINVAL && !oob_inline(fd)) {
            *taken = 1;         /* already read: nothing left to take */
            return;
        } else if (errno != EINTR)
            urgent_failed("recv(MSG_OOB)", errno, oob_inline(fd));
    }
}

/* ANCHOR: plain */
static void strategy_plain(int fd, struct pace *p, const char *tag)
{
    int taken = 0;      /* the urgent byte at the current mark was read */
    for (;;) {
        pace_wait_one(p, fd, POLLIN | POLLPRI);
        take_urgent_at_mark(fd, p, &taken, tag);
        switch (read_normal(fd, tag)) {
        case READ_DATA: taken = 0; break;
        case READ_EOF: return;
        case READ_NOTHING: break;
        }
    }
}
/* ANCHOR_END: plain */

/* ANCHOR: sigurg */
static void strategy_sigurg(int fd, struct pace *p, const char *tag)
{
    /* exercise: oob-recv/sigurg */
    /* The handler reads urgent bytes as they are announced; the loop still
     * checks the mark, for a byte announced before F_SETOWN or not yet
     * arrived when the handler ran. */
    int taken = 0;
    if (fcntl(fd, F_SETOWN, getpid()) < 0)
        call_failed("fcntl(F_SETOWN, getpid())");
    install_sigurg(fd, 1);
    for (;;) {
        /* POLLPRI too: a byte announced before F_SETOWN raised no signal. */
        struct pollfd fds[2] = { { .fd = fd, .events = POLLIN | POLLPRI }, { .fd = sigurg_pipe[0], .events = POLLIN } };
        char record[2];
        pace_wait(p, fds, 2);
        while (read(sigurg_pipe[0], record, 2) == 2) {
            say(tag, "SIGURG received");
            if (record[0] == 'B') {
                print_urgent(tag, record[1]);
            } else if (record[0] == 'E') {
                say(tag, "recv(MSG_OOB) in the handler failed: %s",
                    urgent_error_text(record[1], 0) ? urgent_error_text(record[1], 0) : strerror(record[1]));
            } else if (record[0] == 'C') {
                say(tag, "recv(MSG_OOB) in the handler failed: the peer closed before the urgent byte arrived");
            }
        }
        if (fds[0].revents == 0)
            continue;   /* only the handler had news */
        take_urgent_at_mark(fd, p, &taken, tag);
        switch (read_normal(fd, tag)) {
        case READ_DATA: taken = 0; break;
        case READ_EOF: return;
        case READ_NOTHING: break;
        }
    }
    /* end exercise */
}
/* ANCHOR_END: sigurg */

/* ANCHOR: select_loop */
static void strategy_select(int fd, struct pace *p, const char *tag, int fixed)
{
    /* exercise: oob-recv/select */
    int just_read_oob = 0;
    for (;;) {
        int watch_exceptions = !(fixed && just_read_oob);
        struct pollfd pfd = { .fd = fd, .events = POLLIN | (watch_exceptions ? POLLPRI : 0) };
        fd_set rset, xset;
        struct timeval tv = { p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000 };
        int n;

        before_block(p, &pfd, 1);
        FD_ZERO(&rset);
        FD_ZERO(&xset);
        FD_SET(fd, &rset);
        if (watch_exceptions)
            FD_SET(fd, &xset);
        n = select(fd + 1, &rset, NULL, &xset, p->timeout_ms < 0 ? NULL : &tv);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            call_failed("select");
        if (n == 0) {
            fflush(stdout);
            fprintf(stderr, "error: select: nothing arrived within the timeout (see --timeout)\n");
            exit(1);
        }
        if (FD_ISSET(fd, &xset)) {
            char byte;
            ssize_t r = recv(fd, &byte, 1, MSG_OOB);
            if (r < 0)
                urgent_failed("recv(MSG_OOB)", errno, oob_inline(fd));
            if (r == 0) {
                fflush(stdout);
                fprintf(stderr, "error: recv(MSG_OOB): the peer closed before the urgent byte arrived\n");
                exit(1);
            }
            print_urgent(tag, byte);
            just_read_oob = 1;
        }
        if (FD_ISSET(fd, &rset)) {
            switch (read_normal(fd, tag)) {
            case READ_DATA: just_read_oob = 0; break;
            case READ_EOF: return;
            case READ_NOTHING: break;
            }
        }
    }
    /* end exercise */
}
/* ANCHOR_END: select_loop */

/* ANCHOR: poll_loop */
/* The select loop written with poll (the textbook's tcprecv03p):
 * urgent_event is the bit taken to mean an urgent byte is there. Linux
 * never sets POLLRDBAND, the textbook's choice, for urgent data; it sets
 * POLLPRI, the fix. */
static void strategy_poll(int fd, struct pace *p, const char *tag, short urgent_event)
{
    int just_read_oob = 0;
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLRDNORM | (just_read_oob ? 0 : urgent_event) };
        pace_wait(p, &pfd, 1);
        if (pfd.revents & urgent_event) {
            char byte;
            ssize_t r = recv(fd, &byte, 1, MSG_OOB);
            if (r < 0)
                urgent_failed("recv(MSG_OOB)", errno, oob_inline(fd));
            if (r == 0) {
                fflush(stdout);
                fprintf(stderr, "error: recv(MSG_OOB): the peer closed before the urgent byte arrived\n");
                exit(1);
            }
            print_urgent(tag, byte);
            just_read_oob = 1;
        }
        /* A hang-up or an error is read too: the read says which. */
        if (pfd.revents & (POLLRDNORM | POLLHUP | POLLERR)) {
            switch (read_normal(fd, tag)) {
            case READ_DATA: just_read_oob = 0; break;
            case READ_EOF: return;
            case READ_NOTHING: break;
            }
        }
    }
}
/* ANCHOR_END: poll_loop */

/* ANCHOR: atmark */
static void strategy_atmark(int fd, struct pace *p, const char *tag)
{
    /* exercise: oob-recv/atmark */
    for (;;) {
        pace_wait_one(p, fd, POLLIN);
        if (at_mark(fd))
            say(tag, "at OOB mark");
        if (read_normal(fd, tag) == READ_EOF)
            return;
    }
    /* end exercise */
}
/* ANCHOR_END: atmark */

/* ANCHOR: flow_control */
/* How long a live flow-control receiver waits for the urgent notice before
 * it reads anyway: the urgent pointer is a 16-bit offset, so more than
 * 64 KiB queued ahead of the urgent byte keeps it unannounced until the
 * receiver reads (NOTICE_PATIENCE in receiver.rs). */
#define NOTICE_PATIENCE_MS 1000

static void strategy_flow_control(int fd, struct pace *p, const char *tag)
{
    size_t since_mark = 0;
    int any_mark = 0, taken = 0, noticed = 1;
    char record[2], byte, buf[BUF_SIZE];
    ssize_t n;

    if (fcntl(fd, F_SETOWN, getpid()) < 0)
        call_failed("fcntl(F_SETOWN, getpid())");
    install_sigurg(fd, 0);
    /* An announcement that came before F_SETOWN raised no signal: ask first. */
    n = recv(fd, &byte, 1, MSG_OOB);
    if (n < 0 && errno == EINVAL) {
        /* The connection first: with --wait-eof, the pace waits on fds[0]. */
        struct pollfd fds[2] = { { .fd = fd, .events = POLLRDHUP }, { .fd = sigurg_pipe[0], .events = POLLIN } };
        if (pace_wait_at_most(p, fds, 2, NOTICE_PATIENCE_MS)) {
            while (read(sigurg_pipe[0], record, 2) == 2) {
                /* window probes may repeat the signal: one line says it */
            }
            say(tag, fds[1].revents ? "SIGURG received" : "the sender finished without SIGURG");
            n = recv(fd, &byte, 1, MSG_OOB);
        } else {
            noticed = 0;
            say(tag, "no SIGURG within %d s: the urgent byte may be more than 64 KiB behind "
                     "(the urgent pointer is 16 bits); reading normal data meanwhile",
                NOTICE_PATIENCE_MS / 1000);
        }
    } else {
        say(tag, "urgent data was announced before F_SETOWN: no SIGURG");
    }
    if (noticed) {
        if (n == 1)
            print_urgent(tag, byte);
        else if (n == 0)
            say(tag, "recv(MSG_OOB) failed: the peer closed before the urgent byte arrived");
        else
            say(tag, "recv(MSG_OOB) failed: %s",
                urgent_error_text(errno, oob_inline(fd)) ? urgent_error_text(errno, oob_inline(fd)) : strerror(errno));
        struct pollfd pri = { .fd = fd, .events = POLLPRI };
        poll_retry(&pri, 1, 0);
        say(tag, "poll reports POLLPRI: %s", (pri.revents & POLLPRI) ? "yes" : "no");
    }

    for (int waited = 0;;) {
        /* Every mark, not only the first: a later urgent byte is as easily
         * lost. Checked before every wait (a read that stopped at the mark
         * leaves nothing readable, so a wait would wait past it) and before
         * every read (a mark that came with the data just waited for must
         * be seen first, or the read steps over the byte). */
        if (!taken && at_mark(fd)) {
            say(tag, "read %zu bytes of normal data up to the mark", since_mark);
            since_mark = 0;
            any_mark = 1;
            take_urgent_at_mark(fd, p, &taken, tag);
            continue;
        }
        if (!waited) {
            pace_wait_one(p, fd, POLLIN | POLLPRI);
            while (read(sigurg_pipe[0], record, 2) == 2) {
                /* later signals: the marks tell the story */
            }
            waited = 1;
            continue;   /* check the mark again, then read */
        }
        waited = 0;
        n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            call_failed("recv");
        if (n == 0)
            break;
        since_mark += (size_t)n;
        taken = 0;      /* the read moved past the mark */
    }
    if (any_mark)
        say(tag, "read %zu bytes of normal data after the mark", since_mark);
    else
        say(tag, "read %zu bytes of normal data and reached no mark", since_mark);
    say(tag, "received EOF");
}
/* ANCHOR_END: flow_control */

/* ANCHOR: naive */
/* Seed 000's receiver: one normal read, recv(MSG_OOB) once, at once, then
 * normal reads to the end, never asking where the mark is. */
static void strategy_naive(int fd, struct pace *p, const char *tag)
{
    enum read_result r;
    char byte;
    ssize_t n;

    do {
        pace_wait_one(p, fd, POLLIN);
        r = read_normal(fd, tag);
    } while (r == READ_NOTHING);
    if (r == READ_EOF)
        return;
    n = recv(fd, &byte, 1, MSG_OOB);
    if (n == 1)
        print_urgent(tag, byte);
    else if (n == 0)
        say(tag, "recv(MSG_OOB) failed: the peer closed before the urgent byte arrived");
    else
        say(tag, "recv(MSG_OOB) failed: %s",
            urgent_error_text(errno, 0) ? urgent_error_text(errno, 0) : strerror(errno));
    do
        pace_wait_one(p, fd, POLLIN);
    while (read_normal(fd, tag) != READ_EOF);
}
/* ANCHOR_END: naive */

static const char *strategies[] = {
    "plain", "sigurg", "select-broken", "select-fixed", "poll-rdband", "poll-fixed", "atmark", "flow-control",
    "naive",
};

static const char *find_strategy(const char *name)
{
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
        if (strcmp(strategies[i], name) == 0)
            return strategies[i];
    usage_error("unknown strategy '%s' (plain, sigurg, select-broken, select-fixed, poll-rdband, poll-fixed, "
                "atmark, flow-control, naive)", name);
}

/* Options set on the listening socket before listen, inherited by accept. */
static void prepare_listener(const char *strategy, int fd)
{
    int on = 1, size = FLOW_CONTROL_RCVBUF;
    if (strcmp(strategy, "atmark") == 0 && setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on) < 0)
        call_failed("setsockopt(SO_OOBINLINE)");
    if (strcmp(strategy, "flow-control") == 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
        call_failed("setsockopt(SO_RCVBUF, %d)", FLOW_CONTROL_RCVBUF);
}

static void receive(const char *strategy, int fd, struct pace *p, const char *tag)
{
    if (strcmp(strategy, "plain") == 0)
        strategy_plain(fd, p, tag);
    else if (strcmp(strategy, "sigurg") == 0)
        strategy_sigurg(fd, p, tag);
    else if (strcmp(strategy, "select-broken") == 0)
        strategy_select(fd, p, tag, 0);
    else if (strcmp(strategy, "select-fixed") == 0)
        strategy_select(fd, p, tag, 1);
    else if (strcmp(strategy, "poll-rdband") == 0)
        strategy_poll(fd, p, tag, POLLRDBAND);
    else if (strcmp(strategy, "poll-fixed") == 0)
        strategy_poll(fd, p, tag, POLLPRI);
    else if (strcmp(strategy, "atmark") == 0)
        strategy_atmark(fd, p, tag);
    else if (strcmp(strategy, "naive") == 0)
        strategy_naive(fd, p, tag);
    else
        strategy_flow_control(fd, p, tag);
}

/* ------------------------------------------------------------- self-demo */

enum family { FAMILY_IPV4, FAMILY_IPV6, FAMILY_UNIX };

static enum family parse_family(const char *text)
{
    if (strcmp(text, "ipv4") == 0)
        return FAMILY_IPV4;
    if (strcmp(text, "ipv6") == 0)
        return FAMILY_IPV6;
    if (strcmp(text, "unix") == 0)
        return FAMILY_UNIX;
    usage_error("unknown family '%s' (ipv4, ipv6 or unix)", text);
}

/* Runs a scenario into a strategy over a fresh connection in this process;
 * paced, the sender sends one write at a time. */
static void self_demo(const struct scenario *sc, const char *strategy, enum family family, int timeout_ms,
                      int paced)
{
    int fds[2], client, server;
    char over[INET6_ADDRSTRLEN + 32];

    if (family == FAMILY_UNIX) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
            call_failed("socketpair(AF_UNIX, SOCK_STREAM)");
        if (send(fds[0], "!", 1, MSG_OOB) < 0) {
            fprintf(stderr, "error: this kernel does not carry urgent data on AF_UNIX sockets "
                            "(MSG_OOB needs Linux 5.15 or later built with CONFIG_AF_UNIX_OOB)\n");
            exit(1);
        }
        close(fds[0]);
        close(fds[1]);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
            call_failed("socketpair(AF_UNIX, SOCK_STREAM)");
        client = fds[0];
        server = fds[1];
        prepare_listener(strategy, server);
        snprintf(over, sizeof over, "an AF_UNIX socket pair");
    } else {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int domain = family == FAMILY_IPV6 ? AF_INET6 : AF_INET;
        int listener = socket(domain, SOCK_STREAM, 0);
        memset(&ss, 0, sizeof ss);
        if (family == FAMILY_IPV6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            s6->sin6_family = AF_INET6;
            s6->sin6_addr = in6addr_loopback;
            len = sizeof *s6;
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            s4->sin_family = AF_INET;
            s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len = sizeof *s4;
        }
        if (listener < 0)
            call_failed("socket");
        if (bind(listener, (struct sockaddr *)&ss, len) < 0)
            call_failed("bind to %s", endpoint_text(&ss));
        prepare_listener(strategy, listener);
        if (listen(listener, 1) < 0)
            call_failed("listen");
        len = sizeof ss;
        if (getsockname(listener, (struct sockaddr *)&ss, &len) < 0)
            call_failed("getsockname");
        client = socket(domain, SOCK_STREAM, 0);
        if (client < 0)
            call_failed("socket");
        if (connect(client, (struct sockaddr *)&ss, len) < 0)
            call_failed("connect to %s", endpoint_text(&ss));
        server = accept(listener, NULL, NULL);
        if (server < 0)
            call_failed("accept on %s", endpoint_text(&ss));
        close(listener);
        snprintf(over, sizeof over, "TCP on %s", endpoint_text(&ss));
    }
    outf("self-demo: scenario %s, strategy %s, over %s\n", sc->name, strategy, over);
    prepare_sender(sc, client);
    /* The sender shares this thread: a send that would block must fail instead. */
    if (fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK) < 0)
        call_failed("fcntl(O_NONBLOCK)");
    struct sender sender = { .fd = client, .sc = sc, .paced = paced, .tag = "[send] " };
    struct pace pace = { .lockstep = 1, .timeout_ms = timeout_ms, .sender = &sender, .receiver_fd = server };
    receive(strategy, server, &pace, "[recv] ");
    close(server);
}


/* The command line both twins share (crates/oob/oob/src/options.rs). */
struct options {
    const char *positional[2];
    int npositional;
    const struct scenario *scenario;    /* NULL: not given */
    const char *strategy;               /* NULL: not given */
    int family;                         /* -1: not given */
    int timeout_ms;                     /* -1: not given */
    int sw;                             /* the program's own switch was given */
};

/* Parses argv; `sw` is the one flag without a value this program accepts,
 * such as "--paced". */
static void parse_options(int argc, char *argv[], const char *sw, struct options *o)
{
    int options_done = 0;
    enum arg_kind kind;
    memset(o, 0, sizeof *o);
    o->family = -1;
    o->timeout_ms = -1;
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((kind = arg_kind(argv[i], &options_done)) == ARG_SKIP)
            continue;
        if (kind == ARG_VALUE) {
            if (o->npositional < 2)
                o->positional[o->npositional] = argv[i];
            o->npositional++;
        } else if ((v = option_value(argc, argv, &i, "--scenario")))
            o->scenario = find_scenario(v);
        else if ((v = option_value(argc, argv, &i, "--strategy")))
            o->strategy = find_strategy(v);
        else if ((v = option_value(argc, argv, &i, "--family")))
            o->family = (int)parse_family(v);
        else if ((v = option_value(argc, argv, &i, "--timeout")))
            o->timeout_ms = (int)parse_seconds_ms(v);
        else if (strcmp(argv[i], sw) == 0)
            o->sw = 1;
        else
            usage_error("invalid option '%s'", argv[i]);
    }
}

#endif /* OOB_H */
