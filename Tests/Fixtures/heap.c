/* A glibc heap with allocations known by construction, for !heap: ten 24-byte blocks (0x20
   chunks) of which nine are freed (seven fill tcache[0], two go to fastbin[0]), a 200-byte
   block in use, 2000-byte blocks of which one is freed into the unsorted bin, a second
   thread's block in its own arena. With "corrupt": a double free slipped past tcache's key
   check (tcache[1]), a freed chunk's bk link overwritten, and the 200-byte chunk's size
   overwritten. inspect() is where the tests stop. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *small[10], *medium, *large[3], *guard, *twice, *arena_block;

static void *worker(void *arg) {
    (void)arg;
    arena_block = malloc(64);
    return NULL;
}

__attribute__((noinline)) void inspect(void) { __asm__ volatile("" ::: "memory"); }

int main(int argc, char **argv) {
    int corrupt = argc > 1 && strcmp(argv[1], "corrupt") == 0;
    for (int i = 0; i < 10; i++) small[i] = malloc(24);
    medium = malloc(200);
    twice = malloc(40);
    large[0] = malloc(2000);
    large[1] = malloc(2000);
    large[2] = malloc(2000);
    guard = malloc(24);
    for (int i = 0; i < 9; i++) free(small[i]);
    free(large[0]);
    pthread_t thread;
    pthread_create(&thread, NULL, worker, NULL);
    pthread_join(thread, NULL);
    if (corrupt) {
        free(twice);
        ((uintptr_t *)twice)[1] = 0;  /* tcache's key: without it the second free is not seen */
        free(twice);
        free(large[2]);
        ((uintptr_t *)large[2])[1] = 0x4141414141;
        ((size_t *)medium)[-1] = 0x12345;
    }
    inspect();
    printf("%p %p\n", medium, arena_block);
    return 0;
}
