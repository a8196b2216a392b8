/* The unlocked stdio calls as calls of the functions of those names (an unoptimised build;
 * CFLAGS_stdio_unlocked_calls in the Makefile). See stdio_unlocked.h. */
#include "stdio_unlocked.h"
