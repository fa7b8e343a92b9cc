/* initserver.c: the C twin of crates/connect/initserver/src/main.rs, a server in
 * the spirit of the textbook's ruptimed, built on initserver() (or, with
 * --version 1, initserver_v1()); --restart shows why the second exists. */
#define _DEFAULT_SOURCE
#define USAGE "initserver [IP PORT] [--type stream|dgram|seqpacket] [--clients N] [--qlen N] " \
              "[--version 1|2] | initserver --restart"
#include "sockref.h"
#include "initserver.h"
#include <sched.h>
#include <time.h>

/* The state of TCP connections in /proc/net/tcp (st, in hex). */
#define TCP_TIME_WAIT 0x06

static const char *version_name(int version)
{
    return version == 1 ? "version 1 (no SO_REUSEADDR)" : "version 2 (SO_REUSEADDR)";
}

static int start_server(int version, int type, const struct sockaddr *addr, socklen_t alen, int qlen)
{
    return version == 1 ? initserver_v1(type, addr, alen, qlen) : initserver(type, addr, alen, qlen);
}

static unsigned short port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                           : ((const struct sockaddr_in *)ss)->sin_port);
}

/* The state of the TCP connection from `local` to `remote` as the kernel
 * lists it in /proc/net/tcp (tcp6 for IPv6), matched on the two ports;
 * 0 if it lists no such connection, -1 if the table cannot be read. */
static int tcp_state(const struct sockaddr_storage *local, const struct sockaddr_storage *remote)
{
    FILE *table = fopen(local->ss_family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
    char line[512], l[160], r[160], want_l[8], want_r[8];
    unsigned st;
    int state = 0;

    if (table == NULL)
        return -1;
    snprintf(want_l, sizeof want_l, ":%04X", port_of(local));
    snprintf(want_r, sizeof want_r, ":%04X", port_of(remote));
    if (fgets(line, sizeof line, table) == NULL) {      /* the header */
        fclose(table);
        return -1;
    }
    while (state == 0 && fgets(line, sizeof line, table) != NULL) {
        size_t ll, lr;
        if (sscanf(line, "%*s %159s %159s %x", l, r, &st) != 3)
            continue;
        ll = strlen(l), lr = strlen(r);
        if (ll >= 5 && lr >= 5 && strcmp(l + ll - 5, want_l) == 0 && strcmp(r + lr - 5, want_r) == 0)
            state = (int)st;
    }
    fclose(table);
    return state;
}

/* Waits, bounded, until the kernel lists the connection in TIME_WAIT. */
static void wait_for_time_wait(const struct sockaddr_storage *local, const struct sockaddr_storage *remote)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int state = tcp_state(local, remote);
        if (state < 0)
            call_failed("read /proc/net/tcp");
        if (state == TCP_TIME_WAIT)
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= DEMO_TIMEOUT_MS) {
            char from[64];
            snprintf(from, sizeof from, "%s", endpoint_text(local));
            fflush(stdout);
            fprintf(stderr, "error: %s -> %s did not reach TIME_WAIT within %d s\n", from,
                    endpoint_text(remote), DEMO_TIMEOUT_MS / 1000);
            exit(1);
        }
        sched_yield();
    }
}

/* ANCHOR: restart */
/* Each version serves one client on 127.0.0.1 and closes the connection
 * first; the client reads to the end and closes; the server stops. The
 * server's side of the connection is now in TIME_WAIT, and the same
 * version starts again on the same port. */
static void restart_demo(void)
{
    for (int version = 1; version <= 2; version++) {
        struct sockaddr_storage any, addr, me;
        socklen_t alen = parse_endpoint("127.0.0.1", "0", 1, &any), len = sizeof addr, mlen = sizeof me;
        char reply[512], where[64];
        ssize_t got, total = 0;
        int server, client, again;

        if ((server = start_server(version, SOCK_STREAM, (struct sockaddr *)&any, alen, 10)) < 0)
            call_failed("%s", initserver_failed);
        if (getsockname(server, (struct sockaddr *)&addr, &len) < 0)
            call_failed("getsockname");
        outf("%s: listening on %s (SOCK_STREAM)\n", version_name(version), endpoint_text(&addr));
        if ((client = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(client, (struct sockaddr *)&addr, len) < 0)
            call_failed("connect to %s", endpoint_text(&addr));
        if (getsockname(client, (struct sockaddr *)&me, &mlen) < 0)
            call_failed("getsockname");
        serve_stream_client(server, 1, 1, "");          /* the server closes first */
        while ((got = recv(client, reply + total, sizeof reply - 1 - (size_t)total, 0)) > 0)
            total += got;
        if (got < 0)
            call_failed("read the reply");
        reply[total] = '\0';
        outf("[client 1] %s", reply);
        close(client);                                  /* the client's close answers the server's */
        close(server);                                  /* the server stops */
        wait_for_time_wait(&addr, &me);
        snprintf(where, sizeof where, "%s", endpoint_text(&addr));
        outf("the server closed first and stopped: %s -> %s is in TIME_WAIT\n", where, endpoint_text(&me));
        if ((again = start_server(version, SOCK_STREAM, (struct sockaddr *)&addr, len, 10)) < 0) {
            int err = errno;
            outf("version %d restarts on %s: %s: %s (os error %d)\n", version, where, initserver_failed,
                 strerror(err), err);
        } else {
            outf("version %d restarts on %s: listening\n", version, where);
            close(again);
        }
    }
}
/* ANCHOR_END: restart */

static int positive(const char *text, const char *what)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || n <= 0 || n > 1000000000L)
        usage_error("'%s' is not a positive number of %s", text, what);
    return (int)n;
}

/* With no argument: a stream server and two clients, then a datagram server
 * and one client, in one thread. */
static void self_demo(void)
{
    struct sockaddr_storage any, addr, me;
    socklen_t len, alen = parse_endpoint("127.0.0.1", "0", 1, &any);
    int server, clients[2];
    char reply[512];

    if ((server = initserver(SOCK_STREAM, (struct sockaddr *)&any, alen, 10)) < 0)
        call_failed("%s", initserver_failed);
    len = sizeof addr;
    getsockname(server, (struct sockaddr *)&addr, &len);
    outf("listening on %s (SOCK_STREAM)\n", endpoint_text(&addr));
    for (int n = 0; n < 2; n++) {
        if ((clients[n] = socket(AF_INET, SOCK_STREAM, 0)) < 0)
            call_failed("socket");
        if (connect(clients[n], (struct sockaddr *)&addr, len) < 0)
            call_failed("connect to %s", endpoint_text(&addr));
        socklen_t mlen = sizeof me;
        getsockname(clients[n], (struct sockaddr *)&me, &mlen);
        outf("[client %d] connected from %s\n", n + 1, endpoint_text(&me));
    }
    for (int n = 1; n <= 2; n++)
        serve_stream_client(server, n, 2, "");
    for (int n = 0; n < 2; n++) {
        ssize_t got, total = 0;
        while ((got = recv(clients[n], reply + total, sizeof reply - 1 - (size_t)total, 0)) > 0)
            total += got;
        if (got < 0)
            call_failed("read the reply");
        reply[total] = '\0';
        outf("[client %d] %s", n + 1, reply);
        close(clients[n]);
    }
    outf("served 2 client(s); exiting\n");
    close(server);

    if ((server = initserver(SOCK_DGRAM, (struct sockaddr *)&any, alen, 0)) < 0)
        call_failed("%s", initserver_failed);
    len = sizeof addr;
    getsockname(server, (struct sockaddr *)&addr, &len);
    outf("bound to %s (SOCK_DGRAM)\n", endpoint_text(&addr));
    int client = socket(AF_INET, SOCK_DGRAM, 0);
    if (client < 0 || bind(client, (struct sockaddr *)&any, alen) < 0)
        call_failed("bind the datagram client");
    if (sendto(client, "status?", 7, 0, (struct sockaddr *)&addr, len) < 0)
        call_failed("sendto %s", endpoint_text(&addr));
    serve_dgram_client(server, 1, 1, "");
    ssize_t n = recv(client, reply, sizeof reply - 1, 0);
    if (n < 0)
        call_failed("recv the reply");
    reply[n] = '\0';
    outf("[client 1] %s", reply);
    outf("served 1 client(s); exiting\n");
    close(client);
    close(server);
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage addr;
    socklen_t len;
    const char *positional[2];
    int npositional = 0, type = SOCK_STREAM, clients = 0, qlen = 10, fd, options_done = 0;
    int version = 2, restart = 0, others = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 1) {
        self_demo();
        return 0;
    }
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_OPTION && strcmp(argv[i], "--restart") == 0) {
            restart = 1;
            continue;
        }
        if (kind == ARG_OPTION && strncmp(argv[i], "--restart=", 10) == 0)
            usage_error("unexpected argument for option '--restart': \"%s\"", argv[i] + 10);
        others++;
        if (kind == ARG_VALUE) {
            if (npositional < 2)
                positional[npositional] = argv[i];
            npositional++;
        } else if ((v = option_value(argc, argv, &i, "--clients")))
            clients = positive(v, "clients");
        else if ((v = option_value(argc, argv, &i, "--qlen")))
            qlen = positive(v, "connections") > 4096 ? 4096 : positive(v, "connections");
        else if ((v = option_value(argc, argv, &i, "--version"))) {
            if (strcmp(v, "1") == 0 || strcmp(v, "2") == 0)
                version = v[0] - '0';
            else
                usage_error("'%s' is not a version of initserver (1 or 2)", v);
        } else if ((v = option_value(argc, argv, &i, "--type"))) {
            if (strcmp(v, "stream") == 0)
                type = SOCK_STREAM;
            else if (strcmp(v, "dgram") == 0)
                type = SOCK_DGRAM;
            else if (strcmp(v, "seqpacket") == 0)
                type = SOCK_SEQPACKET;
            else
                usage_error("unknown socket type '%s' (stream, dgram or seqpacket)", v);
        } else
            usage_error("invalid option '%s'", argv[i]);
    }
    if (restart && others > 0)
        usage_error("--restart runs a demonstration of its own: no other argument");
    if (restart) {
        restart_demo();
        return 0;
    }
    if (npositional == 0)
        len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    else if (npositional == 2)
        len = parse_endpoint(positional[0], positional[1], 1, &addr);
    else
        usage_error("expected IP PORT, or nothing for 127.0.0.1 and any free port");

    if ((fd = start_server(version, type, (struct sockaddr *)&addr, len, qlen)) < 0)
        call_failed("%s", initserver_failed);
    len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        call_failed("getsockname");
    outf("%s %s (%s)\n", type == SOCK_DGRAM ? "bound to" : "listening on", endpoint_text(&addr), type_name(type));
    int served = 0;
    while (clients == 0 || served < clients) {
        served++;
        if (type == SOCK_DGRAM)
            serve_dgram_client(fd, served, clients, "");
        else
            serve_stream_client(fd, served, clients, "");
    }
    outf("served %d client(s); exiting\n", served);
    close(fd);
    return 0;
}
