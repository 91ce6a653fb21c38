/* A hot function for conditional breakpoints: argv[1] threads each call f(i) for i below
   argv[2]; the program counts the calls. With a third argument the workers block every
   signal, as thread pools do. At -O2 f starts with an instruction the kernel's probe can run
   twice (lea). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

atomic_long calls;

__attribute__((noinline)) int f(int x) { return x * 3 + 1; }

static int block_signals;

static void *worker(void *arg) {
    if (block_signals) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    volatile int sink = 0;
    for (int i = 0; i < (int)(long)arg; i++) sink += f(i);
    atomic_fetch_add(&calls, (long)arg);
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    long rounds = argc > 2 ? atol(argv[2]) : 1000;
    block_signals = argc > 3;
    pthread_t workers[64];
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, worker, (void *)rounds);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    printf("calls=%ld\n", atomic_load(&calls));
    return 0;
}
