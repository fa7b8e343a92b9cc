/* sockref.h: the C twins' share of the support crate (lib/sockref).
 *
 * The same conventions as lib/sockref/src/cli.rs, in the spirit of the
 * err_quit / err_sys helpers of UNP's "unp.h":
 *   usage_error(...)  "error: ..." and "usage: ..." on stderr, exit 2
 *   call_failed(...)  "error: <call>: <strerror(errno)> (os error N)", exit 1
 *   parse_endpoint()  the positional IP PORT pair, IPv4 or IPv6, numeric only
 *   check_stdout()    a failed write to stdout is "error: write: ...", exit 1
 *
 * The parsing rules, decided once in lib/sockref/src/cli.rs and followed
 * here to the letter (each has a parity case):
 *   1. Arguments are text: one that is not valid UTF-8 is a usage error
 *      before anything else is read (after --help), "argument 'caf\xE9' is
 *      not valid UTF-8", each byte outside a UTF-8 character as \xHH.
 *   2. Options are long (--name VALUE, --name=VALUE); the only short one is
 *      -h. "--" ends the options; "-" alone is a value. An unknown option is
 *      named whole, as typed ('-hx', '--frob=x', '--=x'); a value where none
 *      is expected is: unexpected argument "x" (no_arguments).
 *   3. Whole numbers are decimal digits only: no sign (+80 is no port), no
 *      spaces, no exponent; too large is out of range, never wrapped
 *      (parse_whole checks ERANGE).
 *   4. Seconds are digits with an optional fraction (2, 0.5), rounded to
 *      the millisecond, from 1 ms to MAX_SECONDS (parse_seconds_ms).
 *   5. Ports are whole numbers from 1 (0 where the program binds) to 65535.
 *
 * Every function is static so that each twin stays one translation unit.
 */
#ifndef SOCKREF_H
#define SOCKREF_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
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

/* How long a self-demo waits for any one event before it gives up
 * (DEMO_TIMEOUT in lib/sockref/src/peer.rs). */
#define DEMO_TIMEOUT_MS 5000

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

/* Rule 1: the length of the UTF-8 character at s, 0 if none starts there. */
static int utf8_char_length(const unsigned char *s)
{
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        if (s[0] == 0xE0) lo = 0xA0;
        if (s[0] == 0xED) hi = 0x9F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        if (s[0] == 0xF0) lo = 0x90;
        if (s[0] == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* Rule 1: a usage error naming the first argument that is not UTF-8. */
static void check_utf8_arguments(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        const unsigned char *s = (const unsigned char *)argv[i];
        int bad = 0;
        for (const unsigned char *p = s; *p; p++)
            if (utf8_char_length(p) == 0)
                bad = 1;
            else
                p += utf8_char_length(p) - 1;
        if (!bad)
            continue;
        char shown[1024] = "";
        size_t used = 0;
        for (const unsigned char *p = s; *p && used + 8 < sizeof shown;) {
            int n = utf8_char_length(p);
            if (n == 0) {
                used += (size_t)snprintf(shown + used, sizeof shown - used, "\\x%02X", *p);
                p++;
            } else {
                memcpy(shown + used, p, (size_t)n);
                used += (size_t)n;
                shown[used] = '\0';
                p += n;
            }
        }
        usage_error("argument '%s' is not valid UTF-8", shown);
    }
}

/* --help and -h print the usage on stdout and exit 0, as the Rust programs
 * do; then rule 1 is checked. Every twin calls this before parsing. */
__attribute__((unused))
static void handle_help(int argc, char *argv[])
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            outf("usage: %s\n", USAGE);
            exit(0);
        }
    check_utf8_arguments(argc, argv);
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

/* Rule 3: a whole number of decimal digits no larger than max into *out;
 * 0 if the text is not one. */
__attribute__((unused))
static int parse_whole(const char *text, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || n > max)
        return 0;
    *out = n;
    return 1;
}

/* A whole number no larger than max (at most LONG_MAX), or -1. */
__attribute__((unused))
static long whole_number(const char *text, long max)
{
    unsigned long long n;
    return parse_whole(text, (unsigned long long)max, &n) ? (long)n : -1;
}

/* Rule 4: the longest duration in seconds an option takes (MAX_SECONDS in
 * cli.rs), and the parser: digits with an optional fraction, rounded to
 * the millisecond, 1 ms to MAX_SECONDS. Returns milliseconds. */
#define MAX_SECONDS 1000000

__attribute__((unused))
static long long parse_seconds_ms(const char *text)
{
    const char *p = text;
    int digits = 0, fraction = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, fraction++;
        if (fraction == 0)
            digits = 0;
    }
    double ms = digits && *p == '\0' ? strtod(text, NULL) * 1000.0 : 0;
    ms = (double)(long long)(ms + 0.5);        /* round, as Rust's f64::round */
    if (!(ms >= 1.0 && ms <= MAX_SECONDS * 1000.0))
        usage_error("'%s' is not a number of seconds (0.001 to %d)", text, MAX_SECONDS);
    return (long long)ms;
}

/* The command line of a twin that takes no argument at all (rule 2). */
__attribute__((unused))
static void no_arguments(int argc, char *argv[])
{
    int options_done = 0;
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_VALUE)
            usage_error("unexpected argument \"%s\"", argv[i]);
        if (kind == ARG_OPTION)
            usage_error("invalid option '%s'", argv[i]);
    }
}

/* The command line of a twin that takes no option and at most one
 * argument (`what` names it in the error): that argument, or NULL. */
__attribute__((unused))
static const char *at_most_one_argument(int argc, char *argv[], const char *what)
{
    const char *arg = NULL;
    int options_done = 0;
    handle_help(argc, argv);
    for (int i = 1; i < argc; i++) {
        enum arg_kind kind = arg_kind(argv[i], &options_done);
        if (kind == ARG_SKIP)
            continue;
        if (kind == ARG_OPTION)
            usage_error("invalid option '%s'", argv[i]);
        else if (arg != NULL)
            usage_error("at most one %s", what);
        else
            arg = argv[i];
    }
    return arg;
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
