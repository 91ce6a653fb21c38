#define _GNU_SOURCE
#include "ccompress.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { chunk = 1 << 20 };

int cc_compression_of(const char *path) {
    unsigned char magic[6] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) return 1;
    if (n >= 6 && memcmp(magic, "\xfd" "7zXZ\0", 6) == 0) return 2;
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return 3;
    return 0;
}

/* What the decompressed core may take of memory: half the machine's, so a file that inflates
   without end (a decompression bomb) is cut off with an error instead of exhausting it. */
static unsigned long long written_so_far, written_limit;
static int over_limit;

static int write_all(int fd, const void *data, size_t size) {
    if (written_so_far + size > written_limit) {
        over_limit = 1;
        errno = EFBIG;
        return -1;
    }
    written_so_far += size;
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int fail(char *error, size_t size, const char *what) {
    snprintf(error, size, "%s", what);
    return -1;
}

static int zstd_stream(int in, int out, char *error, size_t error_size) {
    ZSTD_DCtx *context = ZSTD_createDCtx();
    void *input = malloc(chunk), *output = malloc(chunk);
    int result = 0;
    size_t last = 0;
    if (!context || !input || !output) { result = fail(error, error_size, "out of memory"); goto done; }
    for (;;) {
        ssize_t n = read(in, input, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { result = fail(error, error_size, strerror(errno)); break; }
        if (n == 0) {
            if (last != 0) result = fail(error, error_size, "the zstd stream is cut short");
            break;
        }
        ZSTD_inBuffer from = {input, (size_t)n, 0};
        /* Until the input is used up and the output did not fill: a full output buffer
           means the decoder may hold more. */
        ZSTD_outBuffer to = {output, chunk, chunk};
        while (from.pos < from.size || to.pos == to.size) {
            to.pos = 0;
            last = ZSTD_decompressStream(context, &to, &from);
            if (ZSTD_isError(last)) { result = fail(error, error_size, ZSTD_getErrorName(last)); goto done; }
            if (write_all(out, output, to.pos) != 0) { result = fail(error, error_size, errno == EFBIG ? "it inflates past half the machine's memory" : strerror(errno)); goto done; }
        }
    }
done:
    ZSTD_freeDCtx(context);
    free(input);
    free(output);
    return result;
}

static int xz_stream(int in, int out, uint32_t flags, char *error, size_t error_size) {
    lzma_stream stream = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&stream, UINT64_MAX, flags) != LZMA_OK) return fail(error, error_size, "cannot start the xz decoder");
    unsigned char *input = malloc(chunk), *output = malloc(chunk);
    int result = 0;
    lzma_action action = LZMA_RUN;
    if (!input || !output) { result = fail(error, error_size, "out of memory"); goto done; }
    stream.next_out = output;
    stream.avail_out = chunk;
    for (;;) {
        if (stream.avail_in == 0 && action == LZMA_RUN) {
            ssize_t n = read(in, input, chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { result = fail(error, error_size, strerror(errno)); break; }
            stream.next_in = input;
            stream.avail_in = (size_t)n;
            if (n == 0) action = LZMA_FINISH;
        }
        lzma_ret status = lzma_code(&stream, action);
        /* Output is written when the buffer fills, at the end, and before an error ends it. */
        if (stream.avail_out == 0 || status != LZMA_OK) {
            if (write_all(out, output, chunk - stream.avail_out) != 0) { result = fail(error, error_size, errno == EFBIG ? "it inflates past half the machine's memory" : strerror(errno)); break; }
            stream.next_out = output;
            stream.avail_out = chunk;
        }
        if (status == LZMA_STREAM_END) break;
        if (status != LZMA_OK) { result = fail(error, error_size, status == LZMA_BUF_ERROR ? "the xz stream is cut short" : "the xz stream is corrupt"); break; }
    }
done:
    lzma_end(&stream);
    free(input);
    free(output);
    return result;
}

static int gzip_stream(int in, int out, char *error, size_t error_size) {
    int copy = dup(in);
    gzFile file = copy >= 0 ? gzdopen(copy, "rb") : NULL;
    if (!file) { if (copy >= 0) close(copy); return fail(error, error_size, "cannot start the gzip decoder"); }
    void *buffer = malloc(chunk);
    int result = 0;
    if (!buffer) { gzclose(file); return fail(error, error_size, "out of memory"); }
    for (;;) {
        int n = gzread(file, buffer, chunk);
        if (n < 0) { int code; result = fail(error, error_size, gzerror(file, &code)); break; }
        if (n == 0) {
            int code = Z_OK;
            gzerror(file, &code);
            if (code != Z_OK || !gzeof(file)) result = fail(error, error_size, "the gzip stream is cut short");
            break;
        }
        if (write_all(out, buffer, (size_t)n) != 0) { result = fail(error, error_size, errno == EFBIG ? "it inflates past half the machine's memory" : strerror(errno)); break; }
    }
    gzclose(file);
    free(buffer);
    return result;
}

static int decompress(const char *path, int out_fd, char *error, size_t error_size) {
    int kind = cc_compression_of(path);
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return fail(error, error_size, strerror(errno));
    int result;
    switch (kind) {
    case 1: result = zstd_stream(in, out_fd, error, error_size); break;
    case 2: result = xz_stream(in, out_fd, LZMA_CONCATENATED, error, error_size); break;
    case 3: result = gzip_stream(in, out_fd, error, error_size); break;
    default: result = fail(error, error_size, "not a zstd, xz or gzip file");
    }
    close(in);
    return result;
}

int cc_decompressed(const char *path, char *error, size_t error_size, int *incomplete) {
    *incomplete = 0;
    int fd = memfd_create("swdbg-core", MFD_CLOEXEC);
    if (fd < 0) return fail(error, error_size, strerror(errno));
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    written_so_far = 0;
    over_limit = 0;
    written_limit = pages > 0 && page > 0 ? (unsigned long long)pages * (unsigned long long)page / 2 : 1ULL << 34;
    if (decompress(path, fd, error, error_size) != 0) {
        /* A stream cut short still gives what it held, as a truncated core does; one that
           inflates past the cap is refused (its memory is given back). */
        if (!over_limit && lseek(fd, 0, SEEK_END) > 0) {
            *incomplete = 1;
            return fd;
        }
        close(fd);
        return -1;
    }
    return fd;
}

int cc_xz_decompressed_at(const char *path, long long offset, char *error, size_t error_size) {
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return fail(error, error_size, strerror(errno));
    int fd = memfd_create("swdbg-image", MFD_CLOEXEC);
    if (fd < 0) { close(in); return fail(error, error_size, strerror(errno)); }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    written_so_far = 0;
    over_limit = 0;
    written_limit = pages > 0 && page > 0 ? (unsigned long long)pages * (unsigned long long)page / 2 : 1ULL << 34;
    /* One stream, ended by its own end marker: what follows it in a bzImage is not xz. */
    int result = lseek(in, (off_t)offset, SEEK_SET) == (off_t)offset ? xz_stream(in, fd, 0, error, error_size) : fail(error, error_size, strerror(errno));
    close(in);
    if (result != 0) { close(fd); return -1; }
    return fd;
}
