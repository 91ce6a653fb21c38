#ifndef CDEBUGINFOD_H
#define CDEBUGINFOD_H

/* libdebuginfod, opened with dlopen on first use: it brings libcurl and its TLS stack,
   which a session that never asks a symbol server should not load. */

/* Non-zero once libdebuginfod.so.1 could be loaded. */
int cdi_available(void);

/* Asks the servers in DEBUGINFOD_URLS for the debug file (executable 0) or the executable or
   library itself (1) of a build ID. Returns a file descriptor (>= 0) and a malloc'd path in
   *path, or a negative errno. With show_progress, download progress is written to standard
   error. */
int cdi_find(const unsigned char *build_id, int length, char **path, int show_progress, int executable);

#endif
