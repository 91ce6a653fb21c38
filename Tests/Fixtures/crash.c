/* A null dereference: first and second chance access violations. */
#include <stdio.h>

__attribute__((noinline)) int read_through(int *pointer) { return *pointer; }

int main(void) {
    puts("about to crash");
    fflush(stdout);
    return read_through(0);
}
