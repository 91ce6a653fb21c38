/* Calls its inlined clamp(), then loads the library named by its first argument and calls
   the library's copy: a source-line breakpoint in clamp.h gains a location when it loads. */
#include <dlfcn.h>
#include <stdio.h>
#include "clamp.h"

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int own = clamp(argc * 50, 0, 100);
    void *library = dlopen(argv[1], RTLD_NOW);
    if (!library) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    int (*other)(int) = (int (*)(int))dlsym(library, "plugin_clamp");
    printf("clamped %d %d\n", own, other(42));
    dlclose(library);
    return 0;
}
