/* initserver.c: the C twin of crates/connect/initserver/src/main.rs, a server in
 * the spirit of the textbook's ruptimed, built on initserver(). */
#define _DEFAULT_SOURCE
#define USAGE "initserver [IP PORT] [--type stream|dgram|seqpacket] [--clients N] [--qlen N]"
#include "sockref.h"
#include "initserver.h"

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
        if (kind == ARG_VALUE) {
            if (npositional < 2)
                positional[npositional] = argv[i];
            npositional++;
        } else if ((v = option_value(argc, argv, &i, "--clients")))
            clients = positive(v, "clients");
        else if ((v = option_value(argc, argv, &i, "--qlen")))
            qlen = positive(v, "connections") > 4096 ? 4096 : positive(v, "connections");
        else if ((v = option_value(argc, argv, &i, "--type"))) {
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
    if (npositional == 0)
        len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    else if (npositional == 2)
        len = parse_endpoint(positional[0], positional[1], 1, &addr);
    else
        usage_error("expected IP PORT, or nothing for 127.0.0.1 and any free port");

    if ((fd = initserver(type, (struct sockaddr *)&addr, len, qlen)) < 0)
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
