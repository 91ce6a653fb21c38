/* Sends on several socket descriptors (3..8): the seed lesson's conditional breakpoint
   on libc!send must stop only for descriptor 5. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int pairs[3][2];
    for (int i = 0; i < 3; i++) socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]);
    char buffer[16];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            send(pairs[i][0], "ping", 4, 0);
            recv(pairs[i][1], buffer, sizeof buffer, 0);
        }
    }
    printf("fds %d %d %d %d %d %d\n", pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1], pairs[2][0], pairs[2][1]);
    return 0;
}
