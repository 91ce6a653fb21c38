/* Calls through a null function pointer: the crash is at address 0, the caller is known
   only from the return address on the stack. */
#include <stdio.h>
typedef int (*callback)(int);
__attribute__((noinline)) int dispatch(callback function, int value) {
    return function(value) + 1;
}
int main(void) {
    volatile callback none = 0;
    printf("%d\n", dispatch(none, 41));
    return 0;
}
