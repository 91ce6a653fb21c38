#include <Zydis/Zydis.h>
