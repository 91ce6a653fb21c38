/* A call chain with recursion, built with -O2 -fomit-frame-pointer by the tests: there is no
   rbp chain, so only CFI can unwind it. */
#include <stdio.h>
#include <stdlib.h>

volatile int sink;

__attribute__((noinline)) int leaf(int n) {
    sink = n;
    return n * 3;
}

__attribute__((noinline)) int recurse(int n) {
    if (n == 0) return leaf(7) + 1;
    int r = recurse(n - 1);
    sink += r;
    return r + 1;
}

__attribute__((noinline)) int middle(int n) {
    int r = recurse(n);
    sink += r;
    return r;
}

int main(int argc, char **argv) {
    int depth = argc > 1 ? atoi(argv[1]) : 4;
    printf("%d\n", middle(depth));
    return 0;
}
