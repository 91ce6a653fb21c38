/* Calls clock_gettime, which runs in the vDSO (code with no file): a breakpoint there, its
   stack, and a dump written there. */
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) long elapsed(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec;
}

int main(void) {
    long total = 0;
    for (int i = 0; i < 3; i++) total += elapsed();
    printf("total=%ld\n", total > 0);
    return 0;
}
