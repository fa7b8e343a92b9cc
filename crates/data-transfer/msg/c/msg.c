/* msg.c: the C twin of crates/data-transfer/msg/src/main.rs: sendmsg and
 * recvmsg, scatter/gather, SCM_RIGHTS and MSG_CTRUNC. */
#define _DEFAULT_SOURCE
#define USAGE "msg"
#include "sockref.h"
#include <sys/uio.h>
#include <unistd.h>

static void pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        call_failed("socketpair(AF_UNIX, SOCK_STREAM)");
}

/* Sends one byte with `fd` attached as SCM_RIGHTS. */
static void send_fd(int sock, int fd)
{
    char byte = '!';
    struct iovec iov = { &byte, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof control.buf };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    if (sendmsg(sock, &msg, 0) < 0)
        call_failed("sendmsg(SCM_RIGHTS)");
}

int main(int argc, char *argv[])
{
    int sv[2], pipefd[2];

    no_arguments(argc, argv);

    /* exercise: msg/scatter */
    pair(sv);
    struct iovec out[3] = { { "head|", 5 }, { "body|", 5 }, { "tail", 4 } };
    struct msghdr msg = { .msg_iov = out, .msg_iovlen = 3 };
    ssize_t n = sendmsg(sv[0], &msg, 0);
    if (n < 0)
        call_failed("sendmsg");
    printf("sendmsg gathered 3 buffers (5, 5, 4 bytes) into one message of %zd bytes\n", n);
    char first[8] = { 0 }, second[21] = { 0 };
    struct iovec in[2] = { { first, 7 }, { second, 20 } };
    struct msghdr msg_in = { .msg_iov = in, .msg_iovlen = 2 };
    ssize_t got = recvmsg(sv[1], &msg_in, 0);
    if (got < 0)
        call_failed("recvmsg");
    printf("recvmsg scattered %zd bytes into buffers of 7 and 20: '%s' and '%s'\n", got, first, second);
    close(sv[0]);
    close(sv[1]);
    /* end exercise */

    /* ANCHOR: rights */
    pair(sv);
    if (pipe(pipefd) < 0)
        call_failed("pipe");
    const char *text = "written before the descriptor was passed";
    if (write(pipefd[1], text, strlen(text)) < 0)
        call_failed("write");
    close(pipefd[1]);
    send_fd(sv[0], pipefd[0]);
    close(pipefd[0]);   /* the receiver holds its own copy now */
    char byte, buf[100];
    struct iovec iov = { &byte, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr rmsg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                           .msg_controllen = sizeof control.buf };
    if (recvmsg(sv[1], &rmsg, 0) < 0)
        call_failed("recvmsg");
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&rmsg);
    if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) {
        fprintf(stderr, "error: recvmsg: no descriptor came\n");
        return 1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    n = read(fd, buf, sizeof buf - 1);
    if (n < 0)
        call_failed("read");
    buf[n] = '\0';
    printf("SCM_RIGHTS: a pipe's read end came over the socket; reading it gives '%s'\n", buf);
    close(fd);
    close(sv[0]);
    close(sv[1]);
    /* ANCHOR_END: rights */

    pair(sv);
    if (pipe(pipefd) < 0)
        call_failed("pipe");
    send_fd(sv[0], pipefd[0]);
    struct msghdr bare = { .msg_iov = &iov, .msg_iovlen = 1 };
    n = recvmsg(sv[1], &bare, 0);
    if (n < 0)
        call_failed("recvmsg");
    printf("no room for control data: recvmsg got %zd byte(s), MSG_CTRUNC %s, and no descriptor (the kernel closed it)\n",
           n, (bare.msg_flags & MSG_CTRUNC) ? "set" : "not set");
    close(pipefd[0]);
    close(pipefd[1]);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
