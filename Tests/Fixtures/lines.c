#include <stdio.h>

static int table[64];

__attribute__((noinline)) int square(int v) { return v * v; }

static inline int twice(int v) { return v + v; }

int main(int argc, char **argv) {
    int sum = 0;
    for (int i = 0; i < 2000; i++) sum += i ^ (sum >> 3);
    for (int i = 0; i < 64; i++)
        table[i] = square(i) + twice(i);
    if (argc > 5)
        sum = -sum;
    sum += square(sum & 7);
    printf("%d %d\n", sum, table[9]);
    return sum & 1;
}
