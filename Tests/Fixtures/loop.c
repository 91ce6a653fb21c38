/* A loop calling a function: breakpoints, pass counts, conditions, stepping. */
#include <stdio.h>

int counter;

__attribute__((noinline)) int work(int value) {
    counter += value;
    return counter * 2;
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? 0 : 10;
    if (argc > 1) sscanf(argv[1], "%d", &iterations);
    int total = 0;
    for (int i = 0; i < iterations; i++) total += work(i);
    printf("total=%d counter=%d\n", total, counter);
    return total & 0x7f;
}
