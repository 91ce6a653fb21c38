#ifndef CDEMANGLE_H
#define CDEMANGLE_H

/* Demanglers the process already carries: libstdc++'s (C++ Itanium ABI) and the Swift
   runtime's. Each returns a malloc'd string the caller frees, or NULL if `name` is not a
   name that demangler understands. */
char *cd_demangle_cxx(const char *name);
char *cd_demangle_swift(const char *name);

#endif
