/* Benchmark target: f is called N times (default 100,000); a never-true breakpoint
   condition on f measures how fast a debugger turns a breakpoint hit around. */
#include <stdio.h>
#include <stdlib.h>

volatile long sink;

__attribute__((noinline)) void f(int x) { sink += x; }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    for (int i = 0; i < n; i++) f(i);
    printf("sink=%ld\n", sink);
    return 0;
}
