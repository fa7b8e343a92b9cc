/* ruptimed-fd.c: the C twin of crates/data-transfer/ruptimed-fd/src/main.rs:
 * a server whose child makes the accepted socket its standard output and
 * standard error with dup2, then execs a fixed command (APUE figure 16.18). */
#define _GNU_SOURCE
#define USAGE "ruptimed-fd"
#include "sockref.h"
#include <fcntl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMMAND "/usr/bin/stat"

/* ANCHOR: serve */
/* Accept one client, and let a command answer it on the socket. */
static void serve(int listener)
{
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    char *const env[] = { "LC_ALL=C", NULL };
    int conn, status;
    pid_t pid;

    /* SOCK_CLOEXEC: this descriptor closes at exec; dup2's copies do not. */
    if ((conn = accept4(listener, (struct sockaddr *)&from, &fromlen, SOCK_CLOEXEC)) < 0)
        call_failed("accept");
    printf("server: accepted %s; a child runs %s on the socket\n", endpoint_text(&from), COMMAND);
    fflush(stdout);                     /* the child must not inherit unwritten output */
    if ((pid = fork()) < 0)
        call_failed("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(conn, STDOUT_FILENO) < 0 || dup2(conn, STDERR_FILENO) < 0)
            _exit(126);
        execle(COMMAND, COMMAND, "-L", "-c", "%n is a %F",
               "/dev/stdin", "/dev/stdout", "/dev/stderr", (char *)NULL, env);
        _exit(127);                     /* exec failed; stderr is the client's now */
    }
    /* The server's copy: closed, so that the client's end of file comes
     * when the child's copies close. */
    close(conn);
    if (waitpid(pid, &status, 0) < 0)
        call_failed("waitpid");
    if (WIFEXITED(status))
        printf("server: child pid %ld exited with status %d\n", (long)pid, WEXITSTATUS(status));
    else
        printf("server: child pid %ld killed by signal %d\n", (long)pid, WTERMSIG(status));
}
/* ANCHOR_END: serve */

/* The client's side: everything the command wrote, up to end of file. */
static void read_the_reply(int client)
{
    static char reply[4096];
    size_t total = 0;
    ssize_t n;

    while (total < sizeof reply - 1 && (n = read(client, reply + total, sizeof reply - 1 - total)) != 0) {
        if (n < 0)
            call_failed("read");
        total += (size_t)n;
    }
    reply[total] = '\0';
    for (char *line = reply; *line != '\0';) {
        char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        printf("client: %.*s\n", (int)n, line);
        line += n + (end != NULL);
    }
    printf("client: end of file, %zu bytes in all\n", total);
}

int main(int argc, char *argv[])
{
    struct sockaddr_storage addr, me;
    struct timeval limit = { DEMO_TIMEOUT_MS / 1000, 0 };
    socklen_t len, melen = sizeof me;
    int listener, client;

    no_arguments(argc, argv);
    len = parse_endpoint("127.0.0.1", "0", 1, &addr);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) < 0 || listen(listener, 1) < 0)
        call_failed("bind to 127.0.0.1 port 0");
    len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("server: listening on %s\n", endpoint_text(&addr));
    if ((client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(client, (struct sockaddr *)&addr, len) < 0)
        call_failed("connect to %s", endpoint_text(&addr));
    if (setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)
        call_failed("setsockopt(SO_RCVTIMEO)");
    getsockname(client, (struct sockaddr *)&me, &melen);
    printf("client %s: connected\n", endpoint_text(&me));
    serve(listener);
    read_the_reply(client);
    close(client);
    close(listener);
    return 0;
}
