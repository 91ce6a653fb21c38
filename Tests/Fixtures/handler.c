/* Its own SIGSEGV handler recovers with siglongjmp: the signal must reach the program. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static sigjmp_buf recover;

static void on_segv(int sig) { (void)sig; siglongjmp(recover, 1); }

int main(void) {
    signal(SIGSEGV, on_segv);
    volatile int *bad = (int *)8;
    if (sigsetjmp(recover, 1) == 0) {
        printf("value=%d\n", *bad);
    } else {
        puts("recovered");
    }
    return 7;
}
