/* The unlocked stdio calls as an optimised build makes them: inline, down to __uflow and
 * __overflow. See stdio_unlocked.h. */
#include "stdio_unlocked.h"
