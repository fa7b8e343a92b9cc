/* hb-server.c: the C twin of crates/heartbeat/hb-server/src/main.rs, the
 * heartbeat server of UNP 24.5. */
#define _DEFAULT_SOURCE
#define USAGE "hb-server [IP PORT] [--nsec SECS] [--nprobes N]"
#include "sockref.h"
#include "heartbeat.h"

/* ANCHOR: server */
/* Serves clients one at a time until one closes (exit 0) or is declared
 * dead (exit 1); a client that resets costs one line on stderr. */
static void server(const struct sockaddr_storage *addr, socklen_t len, double nsec, unsigned nprobes)
{
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    char peer[INET6_ADDRSTRLEN + 16];
    int on = 1;
    int l = socket(addr->ss_family, SOCK_STREAM, 0);
    if (l < 0)
        call_failed("socket");
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on); /* as std's TcpListener */
    if (bind(l, (const struct sockaddr *)addr, len) < 0)
        call_failed("bind to %s", endpoint_text(addr));
    if (listen(l, 128) < 0)
        call_failed("listen");
    getsockname(l, (struct sockaddr *)&local, &llen);
    outf("listening on %s\n", endpoint_text(&local));
    for (;;) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        int s = accept(l, (struct sockaddr *)&from, &flen);
        if (s < 0 && errno == ECONNABORTED) { /* the client failed in the queue */
            fprintf(stderr, "client ?: accept: %s (os error %d); waiting for the next client\n",
                    strerror(errno), errno);
            continue;
        }
        if (s < 0)
            call_failed("accept on %s", endpoint_text(&local));
        snprintf(peer, sizeof peer, "%s", endpoint_text(&from));
        outf("connection from %s\n", peer);
        struct heartbeat hb;
        hb_init(&hb, s, HB_SERVER, nsec, nprobes);
        for (int serving = 1; serving;) {
            switch (hb_next(&hb)) {
            case HB_HEARD:
                if (hb.after_silence)
                    outf("the client is back: counter reset to 0\n");
                break;
            case HB_MISSED:
                outf("no probe (%u of %u)\n", hb.missed, nprobes);
                break;
            case HB_TICK:
                break;
            case HB_DEAD:
                check_stdout();
                fprintf(stderr, "error: no probe for %u periods: the client at %s is dead\n",
                        hb.missed, peer);
                exit(1);
            case HB_CLOSED:
                outf("the client closed the connection after %u probes\n", hb.heard);
                exit(0);
            case HB_RESET:
                fprintf(stderr, "client %s: %s after %u probes; waiting for the next client\n", peer,
                        hb_reset_reason(&hb), hb.heard);
                hb_close(&hb);
                serving = 0;
                break;
            }
        }
    }
}
/* ANCHOR_END: server */

int main(int argc, char *argv[])
{
    struct hb_options o;
    struct sockaddr_storage addr;
    hb_parse_options(argc, argv, 0, &o);
    if (o.npositional == 2 && o.demo_peer) {
        socklen_t len = parse_endpoint(o.positional[0], o.positional[1], 0, &addr);
        hb_demo_peer(HB_CLIENT, o.nsec ? o.nsec : 1.0, o.nprobes ? o.nprobes : 5, &addr, len);
    }
    if (o.npositional == 0) {
        hb_self_demo(HB_SERVER, o.nsec ? o.nsec : 0.1, o.nprobes ? o.nprobes : 3);
        return 0;
    }
    if (o.npositional != 2)
        usage_error("expected IP PORT, or no argument for the self-demo");
    socklen_t len = parse_endpoint(o.positional[0], o.positional[1], 1, &addr);
    server(&addr, len, o.nsec ? o.nsec : 1.0, o.nprobes ? o.nprobes : 5);
    return 0;
}
