/* initserver.h: the C half of crates/connect/initserver/src/lib.rs, shared by the
 * twins of initserver and connect-retry. Include sockref.h first. */
#ifndef INITSERVER_H
#define INITSERVER_H

#include <unistd.h>

/* The failed call, for the caller's message; set when initserver fails. */
static char initserver_failed[160];

static const char *type_name(int type)
{
    switch (type) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    default: return "SOCK_?";
    }
}

/* ANCHOR: initserver */
/* A socket of `type` bound to `addr`, listening if connection-oriented.
 * On failure: -1, errno from the failed call, initserver_failed names it,
 * and the socket is closed (the textbook's second version). */
static int initserver(int type, const struct sockaddr *addr, socklen_t alen, int qlen)
{
    /* exercise: initserver/initserver */
    int fd, err, reuse = 1;

    if ((fd = socket(addr->sa_family, type, 0)) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "socket(%s, %s)",
                 addr->sa_family == AF_INET ? "AF_INET" : "AF_INET6", type_name(type));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "setsockopt(SO_REUSEADDR)");
        goto errout;
    }
    if (bind(fd, addr, alen) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "bind to %s",
                 endpoint_text((const struct sockaddr_storage *)addr));
        goto errout;
    }
    if ((type == SOCK_STREAM || type == SOCK_SEQPACKET) && listen(fd, qlen) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "listen on %s",
                 endpoint_text((const struct sockaddr_storage *)addr));
        goto errout;
    }
    return fd;

errout:
    err = errno;
    close(fd);
    errno = err;
    return -1;
    /* end exercise */
}
/* ANCHOR_END: initserver */

/* ANCHOR: initserver_v1 */
/* The first version: the same steps without SO_REUSEADDR. A restarted
 * server cannot bind its port while a connection of its previous life is
 * in TIME_WAIT there. */
__attribute__((unused))
static int initserver_v1(int type, const struct sockaddr *addr, socklen_t alen, int qlen)
{
    int fd, err;

    if ((fd = socket(addr->sa_family, type, 0)) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "socket(%s, %s)",
                 addr->sa_family == AF_INET ? "AF_INET" : "AF_INET6", type_name(type));
        return -1;
    }
    if (bind(fd, addr, alen) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "bind to %s",
                 endpoint_text((const struct sockaddr_storage *)addr));
        goto errout;
    }
    if ((type == SOCK_STREAM || type == SOCK_SEQPACKET) && listen(fd, qlen) < 0) {
        snprintf(initserver_failed, sizeof initserver_failed, "listen on %s",
                 endpoint_text((const struct sockaddr_storage *)addr));
        goto errout;
    }
    return fd;

errout:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}
/* ANCHOR_END: initserver_v1 */

static void status_line(char *line, size_t size, int client, int clients)
{
    if (clients > 0)
        snprintf(line, size, "status: pid %d serving client %d of %d\n", (int)getpid(), client, clients);
    else
        snprintf(line, size, "status: pid %d serving client %d\n", (int)getpid(), client);
}

/* The one stderr line of a client that failed: who, which call, why. */
static void client_failed(int client, const char *peer, const char *call)
{
    int saved = errno;
    fprintf(stderr, "client %d (%s): %s: %s (os error %d)\n", client, peer, call, strerror(saved), saved);
}

/* Accepts one connection, names the peer (the address accept filled in:
 * getpeername fails with ENOTCONN once the client has reset), sends the
 * status line and closes. A failed client costs one line on stderr; the
 * server goes on. */
static void serve_stream_client(int listener, int client, int clients, const char *tag)
{
    /* exercise: initserver/serve */
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    char line[128];
    int conn = accept(listener, (struct sockaddr *)&peer, &len);

    if (conn < 0 && errno == ECONNABORTED) {
        client_failed(client, "?", "accept");
        return;
    }
    if (conn < 0)
        call_failed("accept");
    outf("%sclient %d: %s\n", tag, client, endpoint_text(&peer));
    status_line(line, sizeof line, client, clients);
    if (send(conn, line, strlen(line), MSG_NOSIGNAL) < 0)
        client_failed(client, endpoint_text(&peer), "send");
    close(conn);
    /* end exercise */
}

__attribute__((unused))
static void serve_dgram_client(int fd, int client, int clients, const char *tag)
{
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    char buf[512], line[128];

    if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) < 0)
        call_failed("recvfrom");
    outf("%sclient %d: %s\n", tag, client, endpoint_text(&from));
    status_line(line, sizeof line, client, clients);
    if (sendto(fd, line, strlen(line), 0, (struct sockaddr *)&from, len) < 0)
        client_failed(client, endpoint_text(&from), "sendto");
}

#endif /* INITSERVER_H */
