/* Memory of each usage !address tells apart: the brk heap, a malloc arena of another thread
   (its own mmap'd heap), a file mapping, anonymous memory; ready() is where the tests stop. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void *brk_block, *arena_block, *mapped, *anonymous;

static void *worker(void *arg) {
    (void)arg;
    arena_block = malloc(1000);
    return NULL;
}

__attribute__((noinline)) void ready(void) { __asm__ volatile("" ::: "memory"); }

int main(void) {
    brk_block = malloc(100);
    pthread_t thread;
    pthread_create(&thread, NULL, worker, NULL);
    pthread_join(thread, NULL);
    int fd = open("/etc/passwd", O_RDONLY);
    mapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    anonymous = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ready();
    printf("%p %p %p %p\n", brk_block, arena_block, mapped, anonymous);
    return 0;
}
