/* The seed lesson's program on Linux: a TCP server on loopback accepts two clients and sends
   each of them three messages; the clients read them back. Single-threaded, so descriptors
   are fixed: listener 3, clients 4 and 5, accepted connections 6 and 7. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4) != 0) { perror("listen"); return 1; }
    getsockname(listener, (struct sockaddr *)&address, &length);
    int clients[2], served[2];
    for (int i = 0; i < 2; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)&address, sizeof address) != 0) { perror("connect"); return 1; }
    }
    for (int i = 0; i < 2; i++) served[i] = accept(listener, NULL, NULL);
    char message[32], received[64];
    int total = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 2; i++) {
            int size = snprintf(message, sizeof message, "hello %d.%d", i, round);
            send(served[i], message, (size_t)size, 0);
            total += (int)recv(clients[i], received, sizeof received, 0);
        }
    }
    printf("served %d %d, received %d bytes\n", served[0], served[1], total);
    for (int i = 0; i < 2; i++) { close(clients[i]); close(served[i]); }
    close(listener);
    return 0;
}
