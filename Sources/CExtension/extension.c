/* The extension ABI is the header alone; this file makes it a C target Swift imports. */
#include "swdbg_extension.h"
