/* Benchmark target with four threads: each calls f N/4 times (N default 100,000). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

volatile long sink;

__attribute__((noinline)) void f(int x) { __atomic_add_fetch(&sink, x, __ATOMIC_RELAXED); }

static void *worker(void *arg) {
    int rounds = (int)(long)arg;
    for (int i = 0; i < rounds; i++) f(i);
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, (void *)(long)(n / 4));
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("sink=%ld\n", sink);
    return 0;
}
