/* Stack overflow reports. A green thread that runs off its stack hits the guard below it;
 * the SIGSEGV handler, on an alternate signal stack, names the thread and the setting to
 * raise, then lets the fault kill the process as it would have without the shim. */
#ifndef GP_GUARD_H
#define GP_GUARD_H

/* Installs the handler and an alternate signal stack on the calling (scheduler) thread. */
void gp__guard_install(void);

#endif
