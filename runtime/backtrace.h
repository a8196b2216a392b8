/* Symbolized backtraces in reports (the blocking detector's, watchdog.h; the thread dump's,
 * inspect.h): one gp__diag line per frame. */
#ifndef GP_BACKTRACE_H
#define GP_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

/* True when the return address addr is in the shim's own code. */
bool gp__backtrace_in_shim(uintptr_t addr);

/* The name of the function or object at addr (exported by its module), or NULL. */
const char *gp__backtrace_name(const void *addr);

/* Writes frames[first..n) as lines "  #i function+offset in module" (or module+offset, for
 * addr2line, where the module exports no name), numbered from 0, leaving out the outermost
 * frames in the shim (where every green thread starts: the fiber's entry, which tells
 * nothing). first_is_pc: frames[first] is where a signal interrupted the thread, an exact
 * address; the others are return addresses, looked up one byte back. */
void gp__backtrace_write(void *const *frames, int n, int first, bool first_is_pc);

/* The same for a backtrace taken in a signal handler that interrupted the thread at pc:
 * from pc on, without the handler and the signal frame. */
void gp__backtrace_write_interrupted(void *const *frames, int n, uintptr_t pc);

#endif
