#include "ctestpty.h"
#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

pid_t ctp_spawn(const char *path, char *const argv[], char *const envp[], int columns, int rows, int *master) {
    struct winsize size = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)columns };
    pid_t pid = forkpty(master, NULL, NULL, &size);
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(127);
    }
    return pid;
}
