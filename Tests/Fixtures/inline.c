/* Inlined calls at -O2: square is inlined into sum_squares, which is inlined into compute. */
#include <stdio.h>

static inline __attribute__((always_inline)) int square(int x) {
    return x * x + 1;
}

static inline __attribute__((always_inline)) int sum_squares(int a, int b) {
    return square(a) + square(b);
}

__attribute__((noinline)) int compute(int a, int b) {
    volatile int result = sum_squares(a, b);
    return result;
}

int main(int argc, char **argv) {
    (void)argv;
    printf("%d\n", compute(argc + 2, argc + 3));
    return 0;
}
