/* An embedded CPython for swdbg's Python scripts (`.scriptload`): the interpreter, a
   built-in `swdbg` module whose functions call back into the debugger through `cp_host`, and
   the calls the debugger makes into scripts (their commands and breakpoint callbacks). The
   Python C API is macro- and varargs-heavy: it stays in this file. */
#ifndef CPYTHON_SHIM_H
#define CPYTHON_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct cp_host {
    void *context;
    void (*print)(void *context, const char *text);
    int (*read_memory)(void *context, uint64_t address, void *buffer, uint32_t size, uint32_t *read);
    int (*write_memory)(void *context, uint64_t address, const void *buffer, uint32_t size);
    int (*evaluate)(void *context, const char *expression, uint64_t *value);
    int (*read_register)(void *context, const char *name, uint64_t *value);
    /* The symbol of an address into buffer; -1 when none. */
    int (*symbol_name)(void *context, uint64_t address, char *buffer, uint32_t size);
    /* Runs a command line; its output, malloc'd (the caller frees it); *failed set when it failed. */
    char *(*execute)(void *context, const char *command, int *failed);
    /* A breakpoint whose hits call the script's callback `callback`; its id, or -1. */
    int (*add_breakpoint)(void *context, const char *expression, int callback);
    /* `!module.name` runs the script's callback `callback` with the arguments. */
    int (*add_command)(void *context, const char *module, const char *name, int callback);
    int (*type_size)(void *context, const char *type, uint64_t *size);
    int (*member_offset)(void *context, const char *type, const char *member, uint64_t *offset);
    /* The threads' ids (up to capacity); how many there are. */
    int (*threads)(void *context, uint32_t *tids, int capacity);
} cp_host;

/* Starts the interpreter once (sys.stdout and sys.stderr go to host->print); 0 on success. */
int cp_initialize(const cp_host *host);
/* Runs a script file as module `name` (its top level); 0, or -1 with the traceback printed. */
int cp_load(const char *path, const char *name);
/* Calls function `function` of loaded module `name` with no arguments if it has one: 1 when
   called, 0 when it has none, -1 when it raised (traceback printed). */
int cp_call_function(const char *name, const char *function);
/* Calls callback `callback` with a string (a command's arguments) or an integer (a
   breakpoint's id): *truthy is whether it returned a true value; 0, or -1 when it raised. */
int cp_call_with_text(int callback, const char *text, int *truthy);
int cp_call_with_number(int callback, long number, int *truthy);
/* Forgets a loaded module (`.scriptunload`); its callbacks stay callable. */
void cp_unload(const char *name);

#endif
