#ifndef CCOMPRESS_H
#define CCOMPRESS_H

#include <stddef.h>

/* Compressed files as crash collectors store cores: zstd, xz and gzip, told apart by their
   magic bytes. */

/* 1 zstd, 2 xz, 3 gzip, 0 none of them (or unreadable). */
int cc_compression_of(const char *path);

/* Decompresses `path` into an anonymous in-memory file (memfd) and returns its descriptor,
   or -1 with a message in `error`. A stream that breaks off after some output still gives
   the descriptor, with `*incomplete` set and the reason in `error`. */
int cc_decompressed(const char *path, char *error, size_t error_size, int *incomplete);

/* Decompresses the one xz stream that starts `offset` bytes into `path` (the kernel inside a
   bzImage) into a memfd; -1 with a message in `error` when it is not whole. */
int cc_xz_decompressed_at(const char *path, long long offset, char *error, size_t error_size);

#endif
