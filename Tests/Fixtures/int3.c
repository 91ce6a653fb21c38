/* Executes its own int3: a break instruction exception (bpe), then carries on. */
#include <stdio.h>

int main(void) {
    puts("before");
    fflush(stdout);
    __asm__ volatile("int3");
    puts("after");
    return 3;
}
