/* oob-send.c: the C twin of crates/oob/oob-send/src/main.rs.
 *
 * With no address: a self-demo, a receiver in this process on an ephemeral
 * 127.0.0.1 port. With IP PORT: a standalone sender for any receiver.
 * --paced sends one write at a time, whatever the scenario: standalone with
 * a one-second pause between writes, in the self-demo with the receiver
 * reading between writes.
 *
 * usage: see USAGE below; the scenarios and strategies are in
 * crates/oob/oob/c/oob.h, shared with oob-recv.c.
 */
#define _GNU_SOURCE
#define USAGE "oob-send [IP PORT] [--scenario classic|paced|mark|two-urgent|flow-control] [--paced] " \
              "[--strategy NAME] [--family ipv4|ipv6|unix] [--timeout SECS]"
#include "sockref.h"
#include "oob.h"

/* ANCHOR: send_to */
/* The standalone sender: connect, then the scenario's writes, then close.
 * Paced, it sleeps a second between writes, as the textbook's senders do. */
static void send_to(const char *ip, const char *port, const struct scenario *sc, int paced)
{
    struct sockaddr_storage peer;
    socklen_t len = parse_endpoint(ip, port, 0, &peer);
    int fd = socket(peer.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        call_failed("socket");
    if (connect(fd, (struct sockaddr *)&peer, len) < 0)
        call_failed("connect to %s", endpoint_text(&peer));
    outf("connected to %s\n", endpoint_text(&peer));
    prepare_sender(sc, fd);
    struct sender s = { .fd = fd, .sc = sc, .paced = paced, .tag = "" };
    while (send_burst(&s))
        if (paced && s.fd >= 0)
            sleep(1);
}
/* ANCHOR_END: send_to */

int main(int argc, char *argv[])
{
    struct options o;

    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_options(argc, argv, "--paced", &o);
    const struct scenario *sc = o.scenario ? o.scenario : find_scenario("classic");
    if (o.npositional == 0) {
        self_demo(sc, o.strategy ? o.strategy : sc->partner, o.family < 0 ? FAMILY_IPV4 : (enum family)o.family,
                  o.timeout_ms < 0 ? DEMO_TIMEOUT_MS : o.timeout_ms, o.sw);
    } else if (o.npositional == 2) {
        if (o.strategy || o.family >= 0 || o.timeout_ms >= 0)
            usage_error("--strategy, --family and --timeout are for the self-demo (no IP PORT)");
        send_to(o.positional[0], o.positional[1], sc, o.sw);
    } else {
        usage_error("expected IP PORT, or no argument for the self-demo");
    }
    return 0;
}
