/* Loads and unloads a library at run time: module load/unload events and deferred breakpoints. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *library = dlopen("libz.so.1", RTLD_NOW);
    if (!library) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    const char *(*version)(void) = (const char *(*)(void))dlsym(library, "zlibVersion");
    printf("zlib %s\n", version());
    dlclose(library);
    puts("unloaded");
    return 0;
}
