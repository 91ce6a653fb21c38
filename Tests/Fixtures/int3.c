/* Executes its own int3: a break instruction exception (bpe), then carries on. With an
   argument it first installs a SIGTRAP handler, which `gn` reaches and `g` does not. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void ontrap(int signal) {
    (void)signal;
    write(1, "handler saw SIGTRAP\n", 20);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) signal(SIGTRAP, ontrap);
    puts("before");
    fflush(stdout);
    __asm__ volatile("int3");
    puts("after");
    return 3;
}
