/* .call targets: functions with integer, pointer, floating-point and struct parameters and
   results, called by the debugger while the program is stopped in wait_here(). The program
   itself calls only add and sum_pair; the others exist for the debugger (kept by noinline and
   external linkage). */
#include <stdio.h>
#include <string.h>

int calls;

__attribute__((noinline)) int add(int a, int b) { calls++; return a + b; }
__attribute__((noinline)) double scale(double x, int times) { calls++; return x * times; }
__attribute__((noinline)) size_t length(const char *text) { calls++; return strlen(text); }
__attribute__((noinline)) long negate(long value) { calls++; return -value; }
struct pair { int a, b; };
__attribute__((noinline)) int sum_pair(struct pair p) { return p.a + p.b; }

/* Past the registers: the 7th and 8th integers and the 9th and 10th doubles on the stack. */
__attribute__((noinline)) long many(long a, long b, long c, long d, long e, long f, long g, long h) {
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}
__attribute__((noinline)) double reals(double a, double b, double c, double d, double e, double f, double g, double h, double i, double j) {
    return a + b + c + d + e + f + g + h + 100 * i + 1000 * j;
}
/* Structs by value and returned, in each System V class: INTEGER, SSE, mixed, memory. */
struct vec { double x, y; };
struct mixed { double weight; long count; };
struct big { long v[4]; };
struct pair origin_pair = {20, 22};
struct vec unit = {0.5, 2.0};
struct mixed sample = {1.5, 7};
struct big blob = {{1, 2, 3, 4}};
__attribute__((noinline)) double dot(struct vec a, struct vec b) { return a.x * b.x + a.y * b.y; }
__attribute__((noinline)) double weigh(struct mixed m, int times) { return m.weight * m.count * times; }
__attribute__((noinline)) long total(struct big b, long extra) { return b.v[0] + b.v[1] + b.v[2] + b.v[3] + extra; }
__attribute__((noinline)) struct pair swap(struct pair p) { struct pair r = {p.b, p.a}; return r; }
__attribute__((noinline)) struct vec half(struct vec v) { struct vec r = {v.x / 2, v.y / 2}; return r; }
__attribute__((noinline)) struct mixed doubled(struct mixed m) { struct mixed r = {m.weight * 2, m.count * 2}; return r; }
__attribute__((noinline)) struct big reversed(struct big b) { struct big r = {{b.v[3], b.v[2], b.v[1], b.v[0]}}; return r; }

const char *greeting = "hello, debugger";

__attribute__((noinline)) void wait_here(int round) { __asm__ volatile("" ::"r"(round)); }

int main(void) {
    struct pair p = {1, 2};
    wait_here(1);
    printf("add=%d calls=%d pair=%d\n", add(2, 3), calls, sum_pair(p));
    return 0;
}
