/* Says "ready" once running, runs long enough to be attached to, then reports a checksum of
   its own code and the sum it computed, so a test can prove a detach left code and result
   untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) long work(long value) { return value * 3 + 1; }

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    printf("ready\n");
    fflush(stdout);
    long total = 0;
    for (int i = 0; i < rounds; i++) {
        total += work(i);
        usleep(10000);
    }
    unsigned checksum = 0;
    const unsigned char *code = (const unsigned char *)work;
    for (int i = 0; i < 32; i++) checksum = checksum * 31 + code[i];
    printf("total=%ld checksum=%08x\n", total, checksum);
    return 0;
}
