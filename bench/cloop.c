/* The baseline: the least a ptrace debugger must do per conditional-breakpoint hit.
   Usage: cloop ADDRESS PROGRAM [ARGS...]  (ADDRESS in hex, ASLR off).
   Per hit: wait, GETREGS, test the condition (x == -1, in edi), rewind rip (SETREGS),
   restore the original byte, single-step that thread, wait, re-plant the int3, continue.
   Threads are followed (PTRACE_O_TRACECLONE); the others run on while one steps, so a
   thread passing the lifted int3 meanwhile is missed: the cheapest classic loop, not an
   exact one (it prints how many hits it saw). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: cloop ADDRESS PROGRAM [ARGS...]\n"); return 2; }
    uint64_t address = strtoull(argv[1], NULL, 16);
    pid_t pid = fork();
    if (pid == 0) {
        personality(ADDR_NO_RANDOMIZE);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int mem = open(path, O_RDWR);
    unsigned char original, trap = 0xcc;
    pread(mem, &original, 1, (off_t)address);
    pwrite(mem, &trap, 1, (off_t)address);
    long hits = 0, stops = 0;
    ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_TRACECLONE);
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (;;) {
        pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) break;
        if (WIFEXITED(status) || WIFSIGNALED(status)) { if (tid == pid) break; continue; }
        int signal = WSTOPSIG(status);
        if (signal != SIGTRAP || status >> 16 != 0) {
            // A new thread's first SIGSTOP, a clone event, or the program's own signal.
            ptrace(PTRACE_CONT, tid, 0, (void *)(long)(signal == SIGSTOP || signal == SIGTRAP ? 0 : signal));
            continue;
        }
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, tid, 0, &regs);
        hits++;
        if ((int)regs.rdi == -1) stops++;
        regs.rip -= 1;
        ptrace(PTRACE_SETREGS, tid, 0, &regs);
        pwrite(mem, &original, 1, (off_t)address);
        ptrace(PTRACE_SINGLESTEP, tid, 0, 0);
        waitpid(tid, &status, __WALL);
        pwrite(mem, &trap, 1, (off_t)address);
        ptrace(PTRACE_CONT, tid, 0, 0);
    }
    fprintf(stderr, "cloop: %ld hits, %ld stops\n", hits, stops);
    return 0;
}
