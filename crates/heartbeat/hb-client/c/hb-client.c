/* hb-client.c: the C twin of crates/heartbeat/hb-client/src/main.rs, the
 * heartbeat client of UNP 24.5. */
#define _DEFAULT_SOURCE
#define USAGE "hb-client [IP PORT] [--nsec SECS] [--nprobes N] [--count K]"
#include "sockref.h"
#include "heartbeat.h"

/* ANCHOR: client */
static void client(const struct sockaddr_storage *addr, socklen_t len, double nsec,
                   unsigned nprobes, unsigned count)
{
    int s = socket(addr->ss_family, SOCK_STREAM, 0);
    char peer[INET6_ADDRSTRLEN + 16];
    if (s < 0)
        call_failed("socket");
    snprintf(peer, sizeof peer, "%s", endpoint_text(addr));
    if (connect(s, (const struct sockaddr *)addr, len) < 0)
        call_failed("connect to %s", peer);
    outf("connected to %s\n", peer);
    struct heartbeat hb;
    hb_init(&hb, s, HB_CLIENT, nsec, nprobes);
    for (;;) {
        switch (hb_next(&hb)) {
        case HB_HEARD:
            if (hb.after_silence)
                outf("the server is back: counter reset to 0\n");
            if (count && hb.heard == count) {
                outf("%u replies, closing\n", hb.heard);
                hb_close(&hb);
                exit(0);
            }
            break;
        case HB_MISSED:
            outf("probe unanswered (%u of %u)\n", hb.missed, nprobes);
            break;
        case HB_TICK:
            break;
        case HB_DEAD:
            check_stdout();
            fprintf(stderr, "error: %u probes unanswered: the server at %s is dead\n", hb.missed, peer);
            exit(1);
        case HB_CLOSED:
            outf("the server closed the connection\n");
            exit(0);
        case HB_RESET:
            check_stdout();
            fprintf(stderr, "error: the server at %s reset the connection: %s\n", peer,
                    hb_reset_reason(&hb));
            exit(1);
        }
    }
}
/* ANCHOR_END: client */

int main(int argc, char *argv[])
{
    struct hb_options o;
    struct sockaddr_storage addr;
    hb_parse_options(argc, argv, 1, &o);
    if (o.npositional == 2 && o.demo_peer) {
        socklen_t len = parse_endpoint(o.positional[0], o.positional[1], 0, &addr);
        hb_demo_peer(HB_SERVER, o.nsec ? o.nsec : 1.0, o.nprobes ? o.nprobes : 5, &addr, len);
    }
    if (o.npositional == 0 && o.count)
        usage_error("--count is for a standalone client (give IP PORT)");
    if (o.npositional == 0) {
        hb_self_demo(HB_CLIENT, o.nsec ? o.nsec : 0.1, o.nprobes ? o.nprobes : 3);
        return 0;
    }
    if (o.npositional != 2)
        usage_error("expected IP PORT, or no argument for the self-demo");
    socklen_t len = parse_endpoint(o.positional[0], o.positional[1], 0, &addr);
    client(&addr, len, o.nsec ? o.nsec : 1.0, o.nprobes ? o.nprobes : 5, o.count);
    return 0;
}
