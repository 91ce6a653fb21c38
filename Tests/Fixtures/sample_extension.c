/* A sample swdbg extension built by the tests with the repository's header: !hello prints
   its arguments, !peek reads memory at an expression, !where names the current pc through
   the host, !run runs a command line, !fail reports a failure. */
#include <stdio.h>
#include <string.h>
#include "swdbg_extension.h"

static int initialized;

uint32_t swdbg_extension_version(void) { return SWDBG_EXTENSION_API_VERSION; }

const char *const *swdbg_extension_commands(void) {
    static const char *const names[] = { "hello", "peek", "where", "run", "fail", NULL };
    return names;
}

int swdbg_extension_initialize(const swdbg_api *api) {
    initialized = api->version == SWDBG_EXTENSION_API_VERSION && api->size >= sizeof(swdbg_api);
    return initialized ? 0 : 1;
}

int swdbg_command_hello(const swdbg_api *api, const char *arguments) {
    char line[256];
    snprintf(line, sizeof line, "hello from the sample extension: '%s'\n", arguments);
    api->print(api->host, line);
    return 0;
}

/* !peek expression: the 8 bytes there as a number. */
int swdbg_command_peek(const swdbg_api *api, const char *arguments) {
    uint64_t address = 0, value = 0;
    uint32_t read = 0;
    char line[128];
    if (api->evaluate(api->host, arguments, &address) != 0) {
        api->print(api->host, "peek: bad expression\n");
        return 2;
    }
    if (api->read_memory(api->host, address, &value, sizeof value, &read) != 0 || read != sizeof value) {
        snprintf(line, sizeof line, "peek: memory at %llx is not readable\n", (unsigned long long)address);
        api->print(api->host, line);
        return 3;
    }
    snprintf(line, sizeof line, "peek %llx = %llu\n", (unsigned long long)address, (unsigned long long)value);
    api->print(api->host, line);
    return 0;
}

int swdbg_command_where(const swdbg_api *api, const char *arguments) {
    (void)arguments;
    uint64_t pc = 0;
    uint32_t tid = 0;
    char name[256], line[400];
    if (api->read_register(api->host, "rip", &pc) != 0 || api->current_thread(api->host, &tid) != 0) return 1;
    if (api->symbol_name(api->host, pc, name, sizeof name) != 0) strcpy(name, "?");
    snprintf(line, sizeof line, "thread %u at %s\n", tid, name);
    api->print(api->host, line);
    return 0;
}

int swdbg_command_run(const swdbg_api *api, const char *arguments) {
    return api->execute(api->host, arguments) == 0 ? 0 : 4;
}

int swdbg_command_fail(const swdbg_api *api, const char *arguments) {
    (void)api; (void)arguments;
    return 7;
}
