/* Signal handlers and the green threads they interrupt.
 *
 * Natively a signal handler that runs while a thread is blocked in a system call makes that
 * call fail with EINTR, or restarts it when the handler was installed with SA_RESTART
 * (signal(7)). Under the shim the green threads wait in the hub, not in the kernel, so
 * the shim installs the program's handlers behind a trampoline that notes each delivery,
 * and the hub then interrupts the green thread the kernel would have interrupted: the main
 * thread, to which Linux delivers a process-directed signal unless it blocks it, if it was
 * waiting; nobody for a signal aimed at the thread that was running. */
#ifndef GP_SIGNALS_H
#define GP_SIGNALS_H

#include "scheduler.h"

#include <signal.h>

/* Installs act for sig (with the program's handler behind the trampoline) and reports the
 * program's previous action in old, as sigaction(2) does. Returns 0 or a negative errno. */
int gp__signal_action(int sig, const struct sigaction *act, struct sigaction *old);

/* A green thread parks in a wait that a signal handler may end (how != GP_INTR_NEVER). */
void gp__signal_enter_wait(struct gp_thread *t, enum gp_interrupt how);
void gp__signal_leave_wait(struct gp_thread *t);

/* Run by the hub around each poll: delivers what the trampoline noted. */
void gp__signal_dispatch(void);
bool gp__signal_pending(void);
/* In a fork child: the waiting threads were other threads, which the child does not have. */
void gp__signal_after_fork(void);

#endif
