/* -O2: a small struct parameter lives in two registers (DW_OP_piece). */
#include <stdio.h>

struct pair {
    long first;
    long second;
};

__attribute__((noipa)) long product(struct pair p) {
    __asm__ volatile("" : : "r"(p.first), "r"(p.second));
    return p.first * p.second;
}

int main(void) {
    struct pair p = { 6, 7 };
    printf("%ld\n", product(p));
    return 0;
}
