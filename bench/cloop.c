/* The baseline: the least a ptrace debugger must do per conditional-breakpoint hit.
   Usage: cloop ADDRESS PROGRAM [ARGS...]  (ADDRESS in hex, ASLR off).
   Per hit: wait, GETREGS, test the condition (x == -1, in edi), rewind rip (SETREGS),
   restore the original byte, single-step, wait, re-plant the int3, continue. */
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
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (;;) {
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        if (WSTOPSIG(status) != SIGTRAP) { ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(status)); continue; }
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        hits++;
        if ((int)regs.rdi == -1) stops++;
        regs.rip -= 1;
        ptrace(PTRACE_SETREGS, pid, 0, &regs);
        pwrite(mem, &original, 1, (off_t)address);
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        waitpid(pid, &status, 0);
        pwrite(mem, &trap, 1, (off_t)address);
        ptrace(PTRACE_CONT, pid, 0, 0);
    }
    fprintf(stderr, "cloop: %ld hits, %ld stops\n", hits, stops);
    return 0;
}
