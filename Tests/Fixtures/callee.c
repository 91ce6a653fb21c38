/* .call targets: functions with integer, pointer and floating-point parameters and results,
   called by the debugger while the program is stopped in wait_here(). */
#include <stdio.h>
#include <string.h>

int calls;

__attribute__((noinline)) int add(int a, int b) { calls++; return a + b; }
__attribute__((noinline)) double scale(double x, int times) { calls++; return x * times; }
__attribute__((noinline)) size_t length(const char *text) { calls++; return strlen(text); }
__attribute__((noinline)) long negate(long value) { calls++; return -value; }
struct pair { int a, b; };
__attribute__((noinline)) int sum_pair(struct pair p) { return p.a + p.b; }

const char *greeting = "hello, debugger";

__attribute__((noinline)) void wait_here(int round) { __asm__ volatile("" ::"r"(round)); }

int main(void) {
    struct pair p = {1, 2};
    wait_here(1);
    printf("add=%d calls=%d pair=%d\n", add(2, 3), calls, sum_pair(p));
    return 0;
}
