/* The kernel demo's guest program: a TCP connection to itself on loopback, then `send` of
   "hello N" on the client socket once a second, received on the accepted one. The kernel
   test stops at __sys_sendto for its fd and follows the stack back into main. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((noinline)) static long send_message(int fd, int round) {
    char message[16];
    snprintf(message, sizeof message, "hello %d", round % 10);
    return send(fd, message, strlen(message), 0);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1000;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(5555) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int server = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(server, (struct sockaddr *)&address, sizeof address) != 0 || listen(server, 1) != 0) { perror("sendloop: listen"); return 1; }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) { perror("sendloop: connect"); return 1; }
    int accepted = accept(server, NULL, NULL);
    printf("SENDLOOP: connected srv=%d cli=%d acc=%d\n", server, client, accepted);
    fflush(stdout);
    for (int round = 0; round < rounds; round++) {
        char buffer[16] = {0};
        long sent = send_message(client, round);
        long got = recv(accepted, buffer, sizeof buffer - 1, 0);
        printf("SENDLOOP: sent %ld got %ld '%s'\n", sent, got, buffer);
        fflush(stdout);
        sleep(1);
    }
    return 0;
}
