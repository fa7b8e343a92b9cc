/* oob-send.c: the C twin of crates/oob-send/src/main.rs.
 *
 * With no address: a self-demo, a receiver in this process on an ephemeral
 * 127.0.0.1 port. With IP PORT: a standalone sender for any receiver.
 *
 * usage: see USAGE below; the scenarios and strategies are in
 * crates/oob/c/oob.h, shared with oob-recv.c.
 */
#define _GNU_SOURCE
#define USAGE "oob-send [IP PORT] [--scenario classic|paced|mark|two-urgent|flow-control] [--paced] " \
              "[--strategy NAME] [--family ipv4|ipv6|unix] [--timeout SECS]"
#include "sockref.h"
#include "oob.h"

/* ANCHOR: send_to */
/* The standalone sender: connect, then the scenario's writes, then close. */
static void send_to(const char *ip, const char *port, const struct scenario *sc, int paced)
{
    struct sockaddr_storage peer;
    socklen_t len = parse_endpoint(ip, port, 0, &peer);
    int fd = socket(peer.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        call_failed("socket");
    if (connect(fd, (struct sockaddr *)&peer, len) < 0)
        call_failed("connect to %s", endpoint_text(&peer));
    printf("connected to %s\n", endpoint_text(&peer));
    prepare_sender(sc, fd);
    struct sender s = { .fd = fd, .sc = sc, .tag = "" };
    while (send_burst(&s))
        if (paced && s.fd >= 0)
            sleep(1);
}
/* ANCHOR_END: send_to */

int main(int argc, char *argv[])
{
    const struct scenario *sc = &scenarios[0];
    const char *strategy = NULL, *positional[3];
    int npositional = 0, paced = 0, family = -1, timeout_ms = -1, options_done = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = 1;
        else if (options_done || argv[i][0] != '-' || argv[i][1] == '\0') {
            if (npositional < 3)
                positional[npositional] = argv[i];
            npositional++;
        } else if ((v = option_value(argc, argv, &i, "--scenario")))
            sc = find_scenario(v);
        else if ((v = option_value(argc, argv, &i, "--strategy")))
            strategy = find_strategy(v);
        else if ((v = option_value(argc, argv, &i, "--family")))
            family = (int)parse_family(v);
        else if ((v = option_value(argc, argv, &i, "--timeout")))
            timeout_ms = parse_timeout(v);
        else if (strcmp(argv[i], "--paced") == 0)
            paced = 1;
        else
            usage_error("invalid option '%s'", argv[i]);
    }
    if (npositional == 0) {
        if (paced)
            usage_error("--paced is for a standalone sender (give IP PORT)");
        self_demo(sc, strategy ? strategy : sc->partner, family < 0 ? FAMILY_IPV4 : (enum family)family,
                  timeout_ms < 0 ? 5000 : timeout_ms);
    } else if (npositional == 2) {
        if (strategy || family >= 0 || timeout_ms >= 0)
            usage_error("--strategy, --family and --timeout are for the self-demo (no IP PORT)");
        send_to(positional[0], positional[1], sc, paced);
    } else {
        usage_error("expected IP PORT, or no argument for the self-demo");
    }
    return 0;
}
