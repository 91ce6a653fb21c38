/* The classic single-stepping tracer, as small as it gets: runs PROGRAM to ADDRESS (an int3),
   then PTRACE_SINGLESTEPs until the return address and prints how many steps it took.
   Usage: stepcount ADDRESS PROGRAM [ARGS...] (ASLR off, ADDRESS in hex). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: stepcount ADDRESS PROGRAM [ARGS...]\n"); return 2; }
    unsigned long address = strtoul(argv[1], NULL, 16);
    pid_t child = fork();
    if (child == 0) {
        personality(ADDR_NO_RANDOMIZE);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    long original = ptrace(PTRACE_PEEKTEXT, child, (void *)address, 0);
    ptrace(PTRACE_POKETEXT, child, (void *)address, (void *)((original & ~0xffL) | 0xcc));
    ptrace(PTRACE_CONT, child, 0, 0);
    waitpid(child, &status, 0);
    ptrace(PTRACE_POKETEXT, child, (void *)address, (void *)original);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, child, 0, &regs);
    regs.rip = address;
    ptrace(PTRACE_SETREGS, child, 0, &regs);
    unsigned long back = ptrace(PTRACE_PEEKDATA, child, (void *)regs.rsp, 0);
    unsigned long steps = 0;
    for (;;) {
        ptrace(PTRACE_SINGLESTEP, child, 0, 0);
        waitpid(child, &status, 0);
        if (!WIFSTOPPED(status)) break;
        steps++;
        ptrace(PTRACE_GETREGS, child, 0, &regs);
        if (regs.rip == back) break;
    }
    printf("steps %lu\n", steps);
    ptrace(PTRACE_CONT, child, 0, 0);
    waitpid(child, &status, 0);
    return 0;
}
