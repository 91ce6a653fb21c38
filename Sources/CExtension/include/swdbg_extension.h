/* swdbg's extension ABI: a shared library that `.load` (or `.loadby`) brings into a session
   and whose commands run as `!name` or `!library.name`, as WinDbg's extension DLLs do.

   An extension exports, with C linkage:
     uint32_t swdbg_extension_version(void);
         required: SWDBG_EXTENSION_API_VERSION as the extension was built (a library built for
         another version is refused, not called);
     const char *const *swdbg_extension_commands(void);
         required: its command names, NULL-terminated;
     int swdbg_command_NAME(const struct swdbg_api *api, const char *arguments);
         one per name: 0 for success, anything else is reported as the command's failure;
     int swdbg_extension_initialize(const struct swdbg_api *api);
         optional: called once at load; non-zero refuses the load;
     void swdbg_extension_uninitialize(void);
         optional: called at `.unload`.

   The api is valid during the call it is given to; `api->size` is the size of the structure
   the debugger passes (later versions only add members at the end). Every function returns 0
   on success and -1 on failure. */
#ifndef SWDBG_EXTENSION_H
#define SWDBG_EXTENSION_H

#include <stddef.h>
#include <stdint.h>

#define SWDBG_EXTENSION_API_VERSION 1u

#ifdef __cplusplus
extern "C" {
#endif

typedef struct swdbg_host swdbg_host;

typedef struct swdbg_api {
    uint32_t version;
    uint32_t size;
    swdbg_host *host;
    /* Prints text to the session's output as it is (no newline is added). */
    void (*print)(swdbg_host *host, const char *text);
    /* Reads target memory; *read is how many bytes could be read (fewer where unmapped). */
    int (*read_memory)(swdbg_host *host, uint64_t address, void *buffer, uint32_t size, uint32_t *read);
    /* Writes target memory (fails on a dump). */
    int (*write_memory)(swdbg_host *host, uint64_t address, const void *buffer, uint32_t size);
    /* Evaluates a MASM expression, as `?` does: `poi(@rsp)`, `libc!malloc+0x10`. */
    int (*evaluate)(swdbg_host *host, const char *expression, uint64_t *value);
    /* A register of the current thread by name: "rip", "eax", "zf". */
    int (*read_register)(swdbg_host *host, const char *name, uint64_t *value);
    /* `module!symbol+0xoff` for an address, NUL-terminated in buffer (cut to size). */
    int (*symbol_name)(swdbg_host *host, uint64_t address, char *buffer, uint32_t size);
    /* Runs a command line, its output printed; -1 when it failed. */
    int (*execute)(swdbg_host *host, const char *command);
    /* The current thread's id (Linux tid). */
    int (*current_thread)(swdbg_host *host, uint32_t *tid);
} swdbg_api;

typedef uint32_t (*swdbg_extension_version_function)(void);
typedef const char *const *(*swdbg_extension_commands_function)(void);
typedef int (*swdbg_command_function)(const swdbg_api *api, const char *arguments);
typedef int (*swdbg_extension_initialize_function)(const swdbg_api *api);
typedef void (*swdbg_extension_uninitialize_function)(void);

#ifdef __cplusplus
}
#endif

#endif
