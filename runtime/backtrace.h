/* Symbolized backtraces in reports (the blocking detector's, watchdog.h; the thread dump's,
 * inspect.h): one gp__diag line per frame. */
#ifndef GP_BACKTRACE_H
#define GP_BACKTRACE_H

#include <signal.h>
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

/* Installs handler (SA_SIGINFO) for sig, a signal the shim asks a thread where it is with
 * (the detector's, the dump's), after loading what backtrace() needs: its first call loads
 * libgcc's unwinder with dlopen, which must not happen in a signal handler. Every signal is
 * blocked while the handler runs, so nothing interrupts the capture (a handler that left it
 * by siglongjmp would leave the question unanswered); SA_ONSTACK: on the alternate stack
 * guard.c gives the thread, if any, rather than on a small green stack; SA_RESTART: what
 * the kernel can restart is restarted. Returns 0 or -1 with errno set. */
int gp__backtrace_install_handler(int sig, void (*handler)(int, siginfo_t *, void *));

#endif
