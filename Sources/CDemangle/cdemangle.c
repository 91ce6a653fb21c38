#include "cdemangle.h"
#include <stddef.h>
#include <string.h>
#include <stdint.h>

char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status);
char *swift_demangle(const char *mangled, size_t length, char *buffer, size_t *bufferSize, uint32_t flags);

char *cd_demangle_cxx(const char *name) {
    int status = 0;
    char *result = __cxa_demangle(name, NULL, NULL, &status);
    return status == 0 ? result : NULL;
}

char *cd_demangle_swift(const char *name) {
    return swift_demangle(name, strlen(name), NULL, NULL, 0);
}
