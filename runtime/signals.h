/* Signal handlers and the green threads they interrupt.
 *
 * Natively a signal handler that runs while a thread is blocked in a system call makes that
 * call fail with EINTR, or restarts it when the handler was installed with SA_RESTART
 * (signal(7)). Under the shim the green threads wait in the hub, not in the kernel, so
 * the shim installs the program's handlers behind a trampoline that finds the thread the
 * kernel would have chosen (the main thread for a process-directed signal, the named or
 * running thread for a thread-directed one) and, when that thread is waiting, has it run
 * the handler and end its wait as the kernel would have. */
#ifndef GP_SIGNALS_H
#define GP_SIGNALS_H

#include "scheduler.h"

#include <pthread.h>
#include <signal.h>

/* Installs act for sig (with the program's handler behind the trampoline) and reports the
 * program's previous action in old, as sigaction(2) does. Returns 0 or a negative errno. */
int gp__signal_action(int sig, const struct sigaction *act, struct sigaction *old);

/* A green thread parks in a wait that a signal handler may end (how != GP_INTR_NEVER). */
void gp__signal_enter_wait(struct gp_thread *t, enum gp_interrupt how);
void gp__signal_leave_wait(struct gp_thread *t);

/* Run by the hub around each poll: wakes the threads that have handlers to run. */
void gp__signal_dispatch(void);
bool gp__signal_pending(void);
/* Run by a thread at the end of an interruptible wait, on its own fiber, once the wait has
 * undone what it registered: runs the handlers deferred to it and says how they end the
 * wait. */
enum gp_handlers_ran { GP_HANDLERS_NONE, GP_HANDLERS_RESTART, GP_HANDLERS_INTERRUPT };
bool gp__signal_has_deferred(const struct gp_thread *t);
enum gp_handlers_ran gp__signal_run_deferred(struct gp_thread *t);
/* True inside a handler that the trampoline runs where the signal interrupted the calling
 * OS thread (not at the end of a wait): the wait table and the run queue may be in the
 * middle of a change there, and only async-signal-safe ways to wake a thread will do. */
bool gp__signal_in_handler(void);
/* A thread that exits takes no more signals. */
void gp__signal_forget_thread(struct gp_thread *t);
/* pthread_kill for a green thread: sends sig to os_thread (the scheduler's OS thread) so
 * that the handler is t's. Returns 0 or a negative errno. */
int gp__signal_send(struct gp_thread *t, pthread_t os_thread, int sig);
/* pthread_sigqueue for a green thread, the same way, with value. */
int gp__signal_queue(struct gp_thread *t, pthread_t os_thread, int sig, const union sigval value);
/* In a fork child: the waiting threads were other threads, which the child does not have. */
void gp__signal_after_fork(void);

#endif
