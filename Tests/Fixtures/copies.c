/* -O2: twice is inlined into both first and second; a breakpoint on its line has two places. */
#include <stdio.h>

volatile int sink;

static inline int twice(int v) {
    sink = v;
    return v * 2;
}

__attribute__((noinline)) int first(int a) { return twice(a) + 1; }
__attribute__((noinline)) int second(int b) { return twice(b + 5) - 1; }

int main(int argc, char **argv) {
    (void)argv;
    printf("%d\n", first(argc) + second(argc));
    return 0;
}
