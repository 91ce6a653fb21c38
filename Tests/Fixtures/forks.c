/* Forks with SIGCHLD blocked while four threads call f(): the parent's calls are counted so a
   debugger's hit count can be checked; each child calls f() too (its int3s must be gone, or it
   dies of SIGTRAP) and the parent counts children that did not exit 0. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
atomic_int calls;
__attribute__((noinline)) int f(int x) { atomic_fetch_add(&calls, 1); return x * 3 + 1; }
static void *worker(void *arg) { volatile int s = 0; for (int i = 0; i < (int)(long)arg; i++) s += f(i); return NULL; }
int main(int argc, char **argv) {
    int bad = 0; int forks = atoi(argv[1]); long rounds = atol(argv[2]);
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGCHLD); pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)rounds);
    for (int i = 0; i < forks; i++) { pid_t p = fork(); if (p == 0) { f(1); _exit(0); } int st; waitpid(p, &st, 0); if (st) bad++; f(2); }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("calls=%d bad=%d\n", atomic_load(&calls), bad);
    return 0;
}
