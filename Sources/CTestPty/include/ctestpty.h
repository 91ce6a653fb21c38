// For tests only: start a program on a new pseudo-terminal, as a terminal emulator would.
#ifndef CTESTPTY_H
#define CTESTPTY_H

#include <sys/types.h>

/// Forks a child whose controlling terminal is a new pseudo-terminal of `columns` x `rows`
/// and execs `path` there. Returns the child's pid and the terminal's master side in
/// *master, or -1 with errno set.
pid_t ctp_spawn(const char *path, char *const argv[], char *const envp[], int columns, int rows, int *master);

#endif
