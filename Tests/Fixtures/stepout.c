/* A call whose return address starts the next line: stepping out of callee() by source
   line stops on that line (8), as gdb's next does. */
#include <stdio.h>
int counter;
__attribute__((noinline)) void callee(void) {
    counter++;
}
int main(void) {
    callee();
    counter += 2;
    counter += 3;
    printf("%d\n", counter);
    return 0;
}
