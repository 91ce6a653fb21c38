/* A library with its own inlined copy of clamp.h's clamp(), loaded by clamp_host. */
#include "clamp.h"

int plugin_clamp(int value) { return clamp(value, 0, 10); }
