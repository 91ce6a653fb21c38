#include "cdebuginfod.h"
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <elfutils/debuginfod.h>

static void *library;
static debuginfod_client *(*begin)(void);
static int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
static int (*find_executable)(debuginfod_client *, const unsigned char *, int, char **);
static void (*set_progress)(debuginfod_client *, debuginfod_progressfn_t);
static void (*end)(debuginfod_client *);

int cdi_available(void) {
    if (library) return 1;
    void *handle = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return 0;
    begin = (debuginfod_client *(*)(void))dlsym(handle, "debuginfod_begin");
    find_debuginfo = (int (*)(debuginfod_client *, const unsigned char *, int, char **))dlsym(handle, "debuginfod_find_debuginfo");
    find_executable = (int (*)(debuginfod_client *, const unsigned char *, int, char **))dlsym(handle, "debuginfod_find_executable");
    set_progress = (void (*)(debuginfod_client *, debuginfod_progressfn_t))dlsym(handle, "debuginfod_set_progressfn");
    end = (void (*)(debuginfod_client *))dlsym(handle, "debuginfod_end");
    if (!begin || !find_debuginfo || !find_executable || !set_progress || !end) {
        dlclose(handle);
        return 0;
    }
    library = handle;
    return 1;
}

static int progress(debuginfod_client *client, long done, long total) {
    (void)client;
    if (total > 0) fprintf(stderr, "\rDownloading symbols: %ld%%", done * 100 / total);
    else fprintf(stderr, "\rDownloading symbols: %ld bytes", done);
    return 0;
}

int cdi_find(const unsigned char *build_id, int length, char **path, int show_progress, int executable) {
    if (!cdi_available()) return -ENOSYS;
    debuginfod_client *client = begin();
    if (!client) return -ENOMEM;
    if (show_progress) set_progress(client, progress);
    int fd = (executable ? find_executable : find_debuginfo)(client, build_id, length, path);
    if (show_progress) fprintf(stderr, "\r\033[K");
    end(client);
    return fd;
}
