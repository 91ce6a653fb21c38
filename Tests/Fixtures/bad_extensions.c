/* Libraries swdbg must refuse to load: built with -DWRONG_VERSION, a future API version; with
   -DMISSING_COMMAND, a listed command with no function behind it. */
#include <stddef.h>
#include "swdbg_extension.h"

#ifdef WRONG_VERSION
uint32_t swdbg_extension_version(void) { return SWDBG_EXTENSION_API_VERSION + 98; }
#else
uint32_t swdbg_extension_version(void) { return SWDBG_EXTENSION_API_VERSION; }
#endif

const char *const *swdbg_extension_commands(void) {
    static const char *const names[] = { "ghost", NULL };
    return names;
}

#ifdef WRONG_VERSION
int swdbg_command_ghost(const swdbg_api *api, const char *arguments) { (void)api; (void)arguments; return 0; }
#endif
