/* wt's benchmark target: spin() runs a short loop, about 8 instructions an iteration, N times
   (default 250,000: about 2,000,000 instructions). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned long spin(unsigned long n) {
    unsigned long h = 1469598103934665603UL;
    for (unsigned long i = 0; i < n; i++) {
        h ^= i;
        h *= 1099511628211UL;
        h += h >> 7;
    }
    return h;
}

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 250000;
    printf("%lu\n", spin(n));
    return 0;
}
