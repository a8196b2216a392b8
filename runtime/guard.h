/* Stack overflow reports. A green thread that runs off its stack hits the guard below it;
 * the SIGSEGV handler, on an alternate signal stack, names the thread and the setting to
 * raise, then lets the fault kill the process as it would have without the shim. */
#ifndef GP_GUARD_H
#define GP_GUARD_H

#include <signal.h>
#include <stdbool.h>

/* Installs the handler and an alternate signal stack on the calling (scheduler) thread. */
void gp__guard_install(void);

/* Once the handler is installed, the program's SIGSEGV action is kept here and the guard
 * chains to it: sigaction(SIGSEGV) sets and reports that one, not the guard's. Returns
 * false (doing nothing) while the guard is not installed. */
bool gp__guard_action(const struct sigaction *act, struct sigaction *old);

#endif
