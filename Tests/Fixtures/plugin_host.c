/* Loads the library named by its first argument and calls plugin_compute from it. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *library = dlopen(argv[1], RTLD_NOW);
    if (!library) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    int (*compute)(int) = (int (*)(int))dlsym(library, "plugin_compute");
    printf("plugin %d\n", compute(20));
    dlclose(library);
    return 0;
}
