/* One way to die per argument, for crash analysis: null, wild, overflow, abort, assert, heap,
   smash, divide, illegal, kill (SIGQUIT), thread (a second thread reads through null while
   the first waits for it). Each crash site is a function of its own, called from main. */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) int read_null(int *pointer) { return *pointer; }
__attribute__((noinline)) void write_wild(long *pointer) { *pointer = 42; }
__attribute__((noinline)) int recurse_forever(int depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    return recurse_forever(depth + 1) + frame[0];
}
__attribute__((noinline)) void check_positive(int value) { assert(value > 0); }
__attribute__((noinline)) void free_twice(void) {
    char *block = malloc(32);
    free(block);
    free(block);
}
__attribute__((noinline)) void smash_stack(const char *text) {
    char buffer[8];
    strcpy(buffer, text);
    puts(buffer);
}
__attribute__((noinline)) int divide(int a, int b) { return a / b; }
__attribute__((noinline)) void illegal(void) { __builtin_trap(); }
static void *crash_in_thread(void *argument) { return (void *)(long)read_null(argument); }

int main(int argc, char **argv) {
    const char *kind = argc > 1 ? argv[1] : "null";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(kind, "null")) return read_null(NULL);
    if (!strcmp(kind, "wild")) write_wild((long *)0x7e5700001000);
    if (!strcmp(kind, "overflow")) return recurse_forever(0);
    if (!strcmp(kind, "abort")) abort();
    if (!strcmp(kind, "assert")) check_positive(argc - 3);
    if (!strcmp(kind, "heap")) free_twice();
    if (!strcmp(kind, "smash")) smash_stack("a string far longer than eight bytes, to overrun the buffer");
    if (!strcmp(kind, "divide")) return divide(argc, argc - 2);
    if (!strcmp(kind, "illegal")) illegal();
    if (!strcmp(kind, "kill")) kill(getpid(), SIGQUIT);
    if (!strcmp(kind, "thread")) {
        pthread_t thread;
        pthread_create(&thread, NULL, crash_in_thread, NULL);
        pthread_join(thread, NULL);
    }
    return 0;
}
