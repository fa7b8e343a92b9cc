/* connect-retry.c: the C twin of crates/connect/connect-retry/src/main.rs, a
 * client in the spirit of the textbook's ruptime, built on connect_retry:
 * --version 2 (the default) is the portable one, a new socket for every
 * attempt; --version 1 the first, one socket for all of them. */
#define _DEFAULT_SOURCE
#define USAGE "connect-retry [IP PORT] [--version 1|2] [--initial SECS] [--factor N] " \
              "[--max-delay SECS] [--max-attempts N] [--max-total SECS] [--jitter SEED]"
#include "sockref.h"
#include "initserver.h"
#include <stdint.h>
#include <time.h>

/* The schedule (crates/connect/connect-retry/src/lib.rs: Policy), in nanoseconds. */
struct policy {
    uint64_t initial, max_delay, max_total;     /* max_total 0: no limit */
    unsigned factor, max_attempts;              /* max_attempts 0: no limit */
    int jitter;
    uint64_t seed;
};

/* The pauses between attempts; returns how many. */
static int delays(const struct policy *p, uint64_t *out, int cap)
{
    uint64_t step = p->initial, total = 0, state = p->seed | 1;
    int n = 0;
    while (step <= p->max_delay / 2 && step != 0 && n < cap) {
        if (p->max_attempts && (unsigned)n + 1 >= p->max_attempts)
            break;
        uint64_t pause = step;
        if (p->jitter) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            double fraction = 0.5 + (double)(state % 1000) / 2000.0;
            pause = (uint64_t)((double)step * fraction + 0.5);
        }
        if (p->max_total && total + pause > p->max_total)
            break;
        total += pause;
        out[n++] = pause;
        step *= p->factor > 1 ? p->factor : 1;
    }
    return n;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Called after each failed attempt, before the pause (the demo starts its server there). */
typedef void (*on_failure_fn)(int number);

/* The progress line of a failed attempt: its error and the next pause, if any. */
static void report_attempt(int number, const struct sockaddr *addr, int err, const uint64_t *pauses,
                           int npauses)
{
    const char *to = endpoint_text((const struct sockaddr_storage *)addr);
    if (number - 1 < npauses)
        outf("attempt %d: connect to %s: %s (os error %d); next try in %.3f s\n", number, to,
             strerror(err), err, (double)pauses[number - 1] / 1e9);
    else
        outf("attempt %d: connect to %s: %s (os error %d); giving up\n", number, to, strerror(err), err);
}

/* ANCHOR: connect_retry */
/* A new socket for every attempt: reusing one after a failed connect is not
 * portable. Returns the connected socket, or -1 with errno from the last try. */
static int connect_retry(int type, const struct sockaddr *addr, socklen_t alen, const struct policy *p,
                         on_failure_fn on_failure, int *attempts)
{
    /* exercise: connect-retry/backoff */
    uint64_t pauses[10000];
    int npauses = delays(p, pauses, 10000);

    for (int number = 1;; number++) {
        int fd = socket(addr->sa_family, type, 0);
        *attempts = number;
        if (fd < 0)
            return -1;
        if (connect(fd, addr, alen) == 0)
            return fd;
        int err = errno;
        close(fd);
        report_attempt(number, addr, err, pauses, npauses);
        if (on_failure)
            on_failure(number);
        if (number - 1 >= npauses) {
            errno = err;
            return -1;
        }
        sleep_ns(pauses[number - 1]);
    }
    /* end exercise */
}
/* ANCHOR_END: connect_retry */

/* ANCHOR: connect_retry_v1 */
/* The first version: every attempt on the caller's one socket `sockfd`.
 * POSIX leaves a socket's state unspecified after a failed connect; Linux
 * lets it try again. Returns 0, or -1 with errno from the last try. */
static int connect_retry_v1(int sockfd, const struct sockaddr *addr, socklen_t alen, const struct policy *p,
                            on_failure_fn on_failure, int *attempts)
{
    uint64_t pauses[10000];
    int npauses = delays(p, pauses, 10000);

    for (int number = 1;; number++) {
        *attempts = number;
        if (connect(sockfd, addr, alen) == 0)
            return 0;
        int err = errno;
        report_attempt(number, addr, err, pauses, npauses);
        if (on_failure)
            on_failure(number);
        if (number - 1 >= npauses) {
            errno = err;
            return -1;
        }
        sleep_ns(pauses[number - 1]);
    }
}
/* ANCHOR_END: connect_retry_v1 */

/* ANCHOR: connect_with */
/* Version 2 makes a socket for every attempt; for version 1 the socket is
 * made here, once, and every attempt reuses it. Returns the connected
 * socket, or -1 with errno (and *attempts 0 if socket itself failed). */
static int connect_with(int version, const struct sockaddr *addr, socklen_t alen, const struct policy *p,
                        on_failure_fn on_failure, int *attempts)
{
    if (version == 2)
        return connect_retry(SOCK_STREAM, addr, alen, p, on_failure, attempts);
    int sockfd = socket(addr->sa_family, SOCK_STREAM, 0);
    *attempts = 0;
    if (sockfd < 0)
        return -1;
    if (connect_retry_v1(sockfd, addr, alen, p, on_failure, attempts) < 0) {
        int err = errno;
        close(sockfd);
        errno = err;
        return -1;
    }
    return sockfd;
}
/* ANCHOR_END: connect_with */

static void copy_to_stdout(int fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    if (n < 0)
        call_failed("copy the server's reply");
    close(fd);
}

/* The self-demo: the server appears after the third failed attempt. */
static struct sockaddr_storage demo_addr;
static socklen_t demo_len;
static int demo_server = -1;

static void start_server_after_third(int number)
{
    if (number != 3)
        return;
    if ((demo_server = initserver(SOCK_STREAM, (struct sockaddr *)&demo_addr, demo_len, 10)) < 0)
        call_failed("%s", initserver_failed);
    outf("[server] listening on %s (SOCK_STREAM)\n", endpoint_text(&demo_addr));
}

static void self_demo(int version)
{
    struct policy p = { .initial = 50000000u, .factor = 2, .max_delay = 800000000u };
    int probe = socket(AF_INET, SOCK_STREAM, 0), fd;

    /* A loopback port that was free a moment ago: bound to port 0, noted, closed. */
    demo_len = parse_endpoint("127.0.0.1", "0", 1, &demo_addr);
    if (probe < 0 || bind(probe, (struct sockaddr *)&demo_addr, demo_len) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    demo_len = sizeof demo_addr;
    getsockname(probe, (struct sockaddr *)&demo_addr, &demo_len);
    close(probe);
    if (version == 2)
        outf("self-demo: connect_retry to %s; the server starts after the third failed attempt\n",
             endpoint_text(&demo_addr));
    else
        outf("self-demo: connect_retry version 1 to %s, one socket for every attempt; the server starts "
             "after the third failed attempt\n", endpoint_text(&demo_addr));
    int attempts;
    fd = connect_with(version, (struct sockaddr *)&demo_addr, demo_len, &p, start_server_after_third, &attempts);
    if (fd < 0 && attempts == 0)
        call_failed("socket");
    if (fd < 0)
        call_failed("connect to %s", endpoint_text(&demo_addr));
    if (version == 2)
        outf("connected to %s\n", endpoint_text(&demo_addr));
    else
        outf("connected to %s, on the socket refused three times\n", endpoint_text(&demo_addr));
    serve_stream_client(demo_server, 1, 1, "[server] ");
    close(demo_server);
    copy_to_stdout(fd);
}

/* Seconds (the rules in sockref.h) as nanoseconds. */
static uint64_t seconds(const char *text)
{
    return (uint64_t)parse_seconds_ms(text) * 1000000u;
}

static unsigned positive(const char *text)
{
    unsigned long long n;
    if (!parse_whole(text, 4294967295u, &n) || n == 0)
        usage_error("'%s' is not a positive whole number", text);
    return (unsigned)n;
}

int main(int argc, char *argv[])
{
    struct policy p = { .initial = 1000000000u, .factor = 2, .max_delay = 128000000000u };
    struct sockaddr_storage addr;
    const char *positional[2];
    int npositional = 0, options_done = 0, version = 2;

    setvbuf(stdout, NULL, _IOLBF, 0);
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_VALUE) {
            if (npositional < 2)
                positional[npositional] = argv[i];
            npositional++;
        } else if ((v = option_value(argc, argv, &i, "--initial")))
            p.initial = seconds(v);
        else if ((v = option_value(argc, argv, &i, "--max-delay")))
            p.max_delay = seconds(v);
        else if ((v = option_value(argc, argv, &i, "--max-total")))
            p.max_total = seconds(v);
        else if ((v = option_value(argc, argv, &i, "--factor")))
            p.factor = positive(v);
        else if ((v = option_value(argc, argv, &i, "--max-attempts")))
            p.max_attempts = positive(v);
        else if ((v = option_value(argc, argv, &i, "--version"))) {
            if (strcmp(v, "1") == 0 || strcmp(v, "2") == 0)
                version = v[0] - '0';
            else
                usage_error("'%s' is not a version of connect_retry (1 or 2)", v);
        } else if ((v = option_value(argc, argv, &i, "--jitter"))) {
            unsigned long long seed;
            if (!parse_whole(v, ULLONG_MAX, &seed))
                usage_error("'%s' is not a seed (a whole number)", v);
            p.seed = seed;
            p.jitter = 1;
        } else
            usage_error("invalid option '%s'", argv[i]);
    }
    if (npositional == 0) {
        self_demo(version);
        return 0;
    }
    if (npositional != 2)
        usage_error("expected IP PORT, or no argument for the self-demo");
    socklen_t len = parse_endpoint(positional[0], positional[1], 0, &addr);
    int attempts;
    int fd = connect_with(version, (struct sockaddr *)&addr, len, &p, NULL, &attempts);
    if (fd < 0 && attempts == 0)
        call_failed("socket");
    if (fd < 0) {
        fflush(stdout);
        fprintf(stderr, "error: connect to %s: %s (os error %d) (gave up after %d attempts)\n", endpoint_text(&addr),
                strerror(errno), errno, attempts);
        return 1;
    }
    outf("connected to %s\n", endpoint_text(&addr));
    copy_to_stdout(fd);
    return 0;
}
