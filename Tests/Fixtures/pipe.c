/* The main thread blocks in read() on a pipe that another thread writes 200 ms later:
   stepping over that system call must let the writer run. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
int fds[2];
void *writer(void *a) { usleep(200000); write(fds[1], "x", 1); return 0; }
int main() { pipe(fds); pthread_t t; pthread_create(&t, 0, writer, 0); char c = 0; read(fds[0], &c, 1); pthread_join(t, 0); printf("got %c\n", c); return 0; }
