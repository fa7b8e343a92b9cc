/* sockref.h: the C twins' share of the support crate (lib/sockref).
 *
 * The same conventions as lib/sockref/src/cli.rs, in the spirit of the
 * err_quit / err_sys helpers of UNP's "unp.h":
 *   usage_error(...)  "error: ..." and "usage: ..." on stderr, exit 2
 *   call_failed(...)  "error: <call>: <strerror(errno)> (os error N)", exit 1
 *   parse_endpoint()  the positional IP PORT pair, IPv4 or IPv6, numeric only
 *
 * Every function is static so that each twin stays one translation unit.
 */
#ifndef SOCKREF_H
#define SOCKREF_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A write to stdout that failed (stdout on a full device, say) must not be
 * lost: check_stdout() flushes and, if the stream saw an error, reports
 * "error: write: <reason>" and exits 1, as the Rust programs do. It runs at
 * exit in every twin (registered before main), and a long-running loop may
 * call it after each line. */
static int stdout_errno;        /* errno of the first failed write, if known */

__attribute__((unused))
static void check_stdout(void)
{
    if (fflush(stdout) != 0 && stdout_errno == 0)
        stdout_errno = errno;
    if (!ferror(stdout))
        return;
    int e = stdout_errno ? stdout_errno : EIO;
    fprintf(stderr, "error: write: %s (os error %d)\n", strerror(e), e);
    _Exit(1);
}

__attribute__((constructor, unused))
static void check_stdout_at_exit(void)
{
    atexit(check_stdout);
}

/* printf, then check_stdout() at once: for output followed by more calls,
 * which would otherwise overwrite errno (or, in a server, run for ever
 * printing into the void). */
__attribute__((format(printf, 1, 2), unused))
static void outf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vprintf(fmt, ap) < 0 && stdout_errno == 0)
        stdout_errno = errno;
    va_end(ap);
    check_stdout();
}

/* Each twin defines USAGE before including this header. */
#ifndef USAGE
#error "define USAGE before including sockref.h"
#endif

__attribute__((format(printf, 1, 2), noreturn, unused))
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", USAGE);
    exit(2);
}

/* Reports the call named by fmt with the current errno, the way Rust's
 * io::Error prints it, and exits 1. */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void call_failed(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    fflush(stdout);
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s (os error %d)\n", strerror(saved), saved);
    exit(1);
}

/* The name of a getaddrinfo/getnameinfo error code, as <netdb.h> spells it. */
__attribute__((unused))
static const char *eai_name(int code)
{
    switch (code) {
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_OVERFLOW: return "EAI_OVERFLOW";
    default: return "EAI_?";
    }
}

/* --help and -h print the usage on stdout and exit 0, as the Rust programs do. */
__attribute__((unused))
static void handle_help(int argc, char *argv[])
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            outf("usage: %s\n", USAGE);
            exit(0);
        }
}

/* The twins' argument loop follows lexopt's rules, as the Rust programs do:
 * "--" ends the options, a word that does not start with '-' (or is "-"
 * itself, or comes after "--") is a value, anything else is an option. */
enum arg_kind { ARG_SKIP, ARG_VALUE, ARG_OPTION };

__attribute__((unused))
static enum arg_kind arg_kind(const char *arg, int *options_done)
{
    if (!*options_done && strcmp(arg, "--") == 0) {
        *options_done = 1;
        return ARG_SKIP;
    }
    if (*options_done || arg[0] != '-' || arg[1] == '\0')
        return ARG_VALUE;
    return ARG_OPTION;
}

/* An option's value: --name VALUE or --name=VALUE. Returns NULL if argv[*i]
 * is not --name. */
__attribute__((unused))
static const char *option_value(int argc, char *argv[], int *i, const char *name)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        usage_error("missing argument for option '%s'", name);
    return argv[++*i];
}

/* A port number; 0 only where the program binds. */
__attribute__((unused))
static unsigned short parse_port(const char *text, int allow_zero)
{
    int low = allow_zero ? 0 : 1;
    char *end;
    long n;

    if (text[0] < '0' || text[0] > '9')
        usage_error("'%s' is not a port number (%d to 65535)", text, low);
    errno = 0;
    n = strtol(text, &end, 10);
    if (*end != '\0' || errno != 0 || n < low || n > 65535)
        usage_error("'%s' is not a port number (%d to 65535)", text, low);
    return (unsigned short)n;
}

/* Printable form of an address and port: 127.0.0.1:80 or [::1]:80. */
__attribute__((unused))
static const char *endpoint_text(const struct sockaddr_storage *ss)
{
    static char text[INET6_ADDRSTRLEN + 16];
    char ip[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(text, sizeof text, "[%s]:%u", ip, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(text, sizeof text, "%s:%u", ip, ntohs(s4->sin_port));
    }
    return text;
}

/* The positional IP PORT pair: fills *ss and returns its length. */
__attribute__((unused))
static socklen_t parse_endpoint(const char *ip, const char *port, int allow_zero,
                                struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(parse_port(port, allow_zero));
        return sizeof *s4;
    }
    if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(parse_port(port, allow_zero));
        return sizeof *s6;
    }
    usage_error("'%s' is not a numeric IPv4 or IPv6 address", ip);
}

#endif /* SOCKREF_H */
