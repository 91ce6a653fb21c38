/* Breakpoints under load: threads call f() while SIGPROF and SIGALRM arrive every 200 µs,
   and the handler calls f() too; the program counts every call so a debugger's hit count can
   be checked. f at -O2 starts with a locked rip-relative add: no push to emulate. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

atomic_int calls;

__attribute__((noinline)) int f(int x) {
    atomic_fetch_add(&calls, 1);
    return x * 3 + 1;
}

static void on_signal(int signal) { f(signal); }

static void *worker(void *arg) {
    int rounds = (int)(long)arg;
    volatile int sink = 0;
    for (int i = 0; i < rounds; i++) sink += f(i);
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    long rounds = argc > 2 ? atol(argv[2]) : 5000;
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &action, NULL);
    sigaction(SIGALRM, &action, NULL);
    struct itimerval every = {{0, 200}, {0, 200}};
    setitimer(ITIMER_PROF, &every, NULL);
    setitimer(ITIMER_REAL, &every, NULL);
    pthread_t workers[64];
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, worker, (void *)rounds);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("calls=%d\n", atomic_load(&calls));
    return 0;
}
