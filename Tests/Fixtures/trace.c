/* wt: a call tree with a loop, an indirect call, a jump table, recursion, a repeated string
   instruction and a system call; its counts are checked against single-stepping. */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int leaf(int x) { return x * 3 + 1; }

__attribute__((noinline)) int pick(int x) {
    switch (x & 7) {  /* a jump table: an indirect jmp */
    case 0: return leaf(x);
    case 1: return x + 11;
    case 2: return x * 7;
    case 3: return x - 5;
    case 4: return x ^ 0x55;
    case 5: return x << 2;
    default: return -x;
    }
}

__attribute__((noinline)) int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }

__attribute__((noinline)) void fill(char *buffer, unsigned long count) {
    __asm__ volatile("rep stosb" : "+D"(buffer), "+c"(count) : "a"(0x2a) : "memory");
}

int (*volatile indirect)(int) = leaf;

__attribute__((noinline)) int middle(int x) {
    int total = 0;
    for (int i = 0; i < x; i++) total += leaf(i);
    total += indirect(x);
    total += pick(x) + pick(x + 1);
    total += depth(3);
    char buffer[16];
    fill(buffer, sizeof buffer);
    total += buffer[5];
    return total;
}

__attribute__((noinline)) int noisy(void) {
    return (int)write(1, "done\n", 5);
}

int main(void) {
    int result = middle(4);
    noisy();
    printf("%d\n", result);
    return 0;
}
