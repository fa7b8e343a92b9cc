/* oob-recv.c: the C twin of crates/oob/oob-recv/src/main.rs.
 *
 * With IP PORT: listen (port 0 picks a free port and prints it), accept one
 * connection, receive with the chosen strategy. With no address: a
 * self-demo with a sender in this process.
 *
 * The strategies and scenarios are in crates/oob/oob/c/oob.h, shared with
 * oob-send.c.
 */
#define _GNU_SOURCE
#define USAGE "oob-recv [IP PORT] [--strategy plain|sigurg|select-broken|select-fixed|poll-rdband|poll-fixed|atmark|flow-control|naive] " \
              "[--timeout SECS] [--wait-eof] [--scenario NAME] [--family ipv4|ipv6|unix]"
#include "sockref.h"
#include "oob.h"

/* ANCHOR: receive_on */
/* The standalone receiver: bind, listen, accept one connection, receive. */
static void receive_on(const char *ip, const char *port, const char *strategy, int timeout_ms, int wait_eof)
{
    struct sockaddr_storage addr, peer;
    socklen_t len = parse_endpoint(ip, port, 1, &addr);
    int on = 1, listener = socket(addr.ss_family, SOCK_STREAM, 0), conn;

    if (listener < 0)
        call_failed("socket");
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        call_failed("setsockopt(SO_REUSEADDR)");
    if (bind(listener, (struct sockaddr *)&addr, len) < 0)
        call_failed("bind to %s", endpoint_text(&addr));
    prepare_listener(strategy, listener);
    if (listen(listener, 1) < 0)
        call_failed("listen");
    len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    outf("listening on %s\n", endpoint_text(&addr));
    if (timeout_ms >= 0) {
        struct pollfd pfd = { .fd = listener, .events = POLLIN };
        if (poll_retry(&pfd, 1, timeout_ms) == 0) {
            fprintf(stderr, "error: accept on %s: nobody connected within %g s\n",
                    endpoint_text(&addr), timeout_ms / 1000.0);
            exit(1);
        }
    }
    len = sizeof peer;
    conn = accept(listener, (struct sockaddr *)&peer, &len);
    if (conn < 0)
        call_failed("accept on %s", endpoint_text(&addr));
    close(listener);
    outf("accepted a connection from %s\n", endpoint_text(&peer));
    struct pace pace = { .lockstep = 0, .timeout_ms = timeout_ms, .wait_eof = wait_eof };
    receive(strategy, conn, &pace, "");
    close(conn);
}
/* ANCHOR_END: receive_on */

/* The sender each strategy was written for in the textbook. */
static const struct scenario *default_scenario(const char *strategy)
{
    if (strcmp(strategy, "plain") == 0 || strcmp(strategy, "naive") == 0)
        return find_scenario("classic");
    if (strcmp(strategy, "atmark") == 0)
        return find_scenario("mark");
    if (strcmp(strategy, "flow-control") == 0)
        return find_scenario("flow-control");
    return find_scenario("paced");
}

int main(int argc, char *argv[])
{
    struct options o;

    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_options(argc, argv, "--wait-eof", &o);
    const char *strategy = o.strategy ? o.strategy : "plain";
    if (o.npositional == 0) {
        if (o.sw)
            usage_error("--wait-eof is for a standalone receiver (give IP PORT)");
        self_demo(o.scenario ? o.scenario : default_scenario(strategy), strategy,
                  o.family < 0 ? FAMILY_IPV4 : (enum family)o.family, o.timeout_ms < 0 ? DEMO_TIMEOUT_MS : o.timeout_ms,
                  0);
    } else if (o.npositional == 2) {
        if (o.scenario || o.family >= 0)
            usage_error("--scenario and --family are for the self-demo (no IP PORT)");
        receive_on(o.positional[0], o.positional[1], strategy, o.timeout_ms, o.sw);
    } else {
        usage_error("expected IP PORT, or no argument for the self-demo");
    }
    return 0;
}
