/* The DAP tests' program: a struct with an array and a pointer in it, values known by
   construction, a loop for hit counts and log points, a crash and a wait on request; with
   DAPDEMO set it says what that is and where it runs (launch's env and cwd). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct point { int x; int y; };
struct shape { const char *name; struct point corners[3]; struct point *first; int sides; };

int counter;
volatile int release;

__attribute__((noinline)) int step(int value) {
    counter += value;
    return counter;
}

__attribute__((noinline)) void crash(int *where) { *where = 1; }

int main(int argc, char **argv) {
    struct shape triangle = { "triangle", { {1, 2}, {3, 4}, {5, 6} }, 0, 3 };
    triangle.first = &triangle.corners[0];
    int total = 0;
    for (int i = 0; i < 5; i++) total += step(i);
    if (argc > 1 && strcmp(argv[1], "crash") == 0) crash(0);
    while (argc > 1 && strcmp(argv[1], "wait") == 0 && !release) usleep(1000);
    char here[256];
    if (getenv("DAPDEMO")) printf("DAPDEMO=%s cwd=%s\n", getenv("DAPDEMO"), getcwd(here, sizeof here) ? here : "?");
    printf("total=%d sides=%d x=%d\n", total, triangle.sides, triangle.first->x);
    return total;
}
