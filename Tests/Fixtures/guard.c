/* A push into a page the program cannot write: pushes() starts with `push rbp`, called with the stack pointer
   8 bytes above a read-only page. The push must fault (the handler reports it), even when a
   breakpoint on pushes() makes the debugger execute that push itself. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static sigjmp_buf recover;
static void on_segv(int sig) { (void)sig; siglongjmp(recover, 1); }

void pushes(void);
__asm__(".text\n.globl pushes\npushes:\n push %rbp\n pop %rbp\n ret\n");

int main(void) {
    stack_t alternate = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
    sigaltstack(&alternate, NULL);
    struct sigaction action = { .sa_handler = on_segv, .sa_flags = SA_ONSTACK };
    sigaction(SIGSEGV, &action, NULL);
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pages, 4096, PROT_READ);  /* read-only: /proc/pid/mem could still write it, the CPU cannot */
    char *top = pages + 4096 + 8;  /* call pushes the return address at pages+4096; push rbp faults */
    if (sigsetjmp(recover, 1) == 0) {
        __asm__ volatile("mov %%rsp, %%r12\n\tmov %0, %%rsp\n\tcall pushes\n\tmov %%r12, %%rsp" : : "r"(top) : "r12", "memory");
        puts("no fault");
    } else {
        puts("guard fault");
    }
    return 0;
}
