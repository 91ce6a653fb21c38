/* Breakpoints around child processes: while two threads call f(), the main thread spawns
   programs (posix_spawn: a vfork-like child sharing the memory until it execs) and runs a
   clone(CLONE_VM) child that calls f() itself and exits. Every call is counted, and the
   clone child's exit status says whether it survived the breakpoint. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
atomic_int calls;

__attribute__((noinline)) int f(int x) {
    atomic_fetch_add(&calls, 1);
    return x * 3 + 1;
}

static void *worker(void *arg) {
    volatile int sink = 0;
    for (int i = 0; i < (int)(long)arg; i++) sink += f(i);
    return NULL;
}

static int sharing_child(void *arg) {
    (void)arg;
    return f(1) == 4 ? 0 : 1;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 3000;
    int spawns = argc > 2 ? atoi(argv[2]) : 40;
    pthread_t workers[2];
    for (int i = 0; i < 2; i++) pthread_create(&workers[i], NULL, worker, (void *)rounds);
    int spawned = 0;
    for (int i = 0; i < spawns; i++) {
        pid_t child;
        char *arguments[] = {"/bin/true", NULL};
        if (posix_spawn(&child, "/bin/true", NULL, NULL, arguments, environ) == 0) {
            int status;
            waitpid(child, &status, 0);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) spawned++;
        }
    }
    static char stack[64 * 1024];
    pid_t clone_child = clone(sharing_child, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
    int status = -1;
    waitpid(clone_child, &status, 0);
    for (int i = 0; i < 2; i++) pthread_join(workers[i], NULL);
    printf("calls=%d spawned=%d clone=%s\n", atomic_load(&calls), spawned,
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : WIFSIGNALED(status) ? "killed" : "failed");
    return 0;
}
