/* pingpong.c: the C loop of the round-trip benchmark: send one byte, wait
 * for it to come back, `rounds` times. Returns 0, or -1 with errno set. */
#define _DEFAULT_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

int c_ping_pong(int fd, long rounds)
{
    char byte = 'p';
    for (long i = 0; i < rounds; i++) {
        if (send(fd, &byte, 1, 0) != 1)
            return -1;
        if (recv(fd, &byte, 1, MSG_WAITALL) != 1)
            return -1;
    }
    return 0;
}
