/* Four threads calling the same function: thread events, ~ commands, no missed hits. */
#include <pthread.h>
#include <stdio.h>

static int hits[4];

__attribute__((noinline)) void tick(int index) { hits[index]++; }

static void *worker(void *arg) {
    int index = (int)(long)arg;
    for (int i = 0; i < 50; i++) tick(index);
    return NULL;
}

int main(void) {
    pthread_t threads[4];
    for (long i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("hits=%d,%d,%d,%d\n", hits[0], hits[1], hits[2], hits[3]);
    return 0;
}
