/* Signal handlers, signal masks and signal waits for green threads.
 *
 * Natively a signal handler that runs while a thread is blocked in a system call makes that
 * call fail with EINTR, or restarts it when the handler was installed with SA_RESTART
 * (signal(7)). Under the shim the green threads wait in the hub, not in the kernel, so
 * the shim installs the program's handlers behind a trampoline that finds the thread the
 * kernel would have chosen and, when that thread is waiting, has it run the handler and
 * end its wait as the kernel would have.
 *
 * Masks. Each green thread has its own signal mask (pthread_sigmask, sigprocmask). The OS
 * thread's real mask is the running green thread's, and, while the hub runs, the set of
 * signals that every green thread blocks. So a signal that every green thread blocks stays
 * pending in the kernel (sigpending, sigwait and signalfd see it there, and it survives
 * exec), what the running thread blocks is blocked for real (raise, SIGPIPE, sigsetjmp and
 * exec see the thread's own mask), and a signal that some thread takes reaches the
 * trampoline when that thread or the hub runs. The real mask changes only when a switch
 * goes between threads whose masks differ: with one mask for all, switches cost nothing.
 *
 * Where a signal goes, as the kernel picks a thread: the one pthread_kill named (only it);
 * the running thread for one aimed at the OS thread (raise, SIGPIPE); for a process-
 * directed one, the main thread if it takes the signal, else the running thread, else a
 * thread waiting in an interruptible call, else any thread that takes it. A thread takes
 * a signal when it does not block it or waits for it in sigwait and the like. When no
 * green thread takes it, it stays pending: for the thread it was aimed at, or for the
 * process, until a thread unblocks it (its handler then runs before pthread_sigmask
 * returns) or takes it with sigwait.
 *
 * Handlers run on their thread's own fiber with the handler's sa_mask and the signal added
 * to that thread's mask, and the mask the handler returns with (its ucontext's) afterwards,
 * as sigreturn does. */
#ifndef GP_SIGNALS_H
#define GP_SIGNALS_H

#include "scheduler.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

/* A signal set as the kernel keeps it: signal sig in bit sig - 1, signals 1 to 64. glibc's
 * sigset_t keeps the same bits in its first word and the kernel reads and writes only that
 * word (glibc 2.36, x86_64: unsigned long __val[16]). */
static inline uint64_t gp__sigbit(int sig) { return 1ull << (sig - 1); }
static inline uint64_t gp__sigset_bits(const sigset_t *s) { return s->__val[0]; }
static inline void gp__sigset_store(sigset_t *s, uint64_t bits) { s->__val[0] = bits; }

/* Installs act for sig (with the program's handler behind the trampoline) and reports the
 * program's previous action in old, as sigaction(2) does. Returns 0 or a negative errno. */
int gp__signal_action(int sig, const struct sigaction *act, struct sigaction *old);

/* A signal of the blocking detector's number that the watchdog did not send (watchdog.h):
 * delivered as the program's action for it says, as the kernel would have. */
void gp__signal_forward(int sig, siginfo_t *info, void *uctx);

/* The calling green thread's mask, as pthread_sigmask(how, set, old) changes and reports
 * it. Signals it unblocks that were pending are handled before it returns, or, inside an
 * interruptible wait (a wait with a mask of its own), end that wait. Returns 0 or
 * -EINVAL. */
int gp__signal_mask(int how, const sigset_t *set, sigset_t *old);
/* The signals pending for the calling green thread or the process that it blocks. */
void gp__signal_pending_set(sigset_t *out);
/* sigtimedwait for the calling green thread: takes a signal of set that is pending, or
 * waits for one until deadline (clock.h). Returns the signal with *info filled in,
 * -EAGAIN at the deadline, -EINTR when a handler for another signal ran. */
int gp__signal_wait(const sigset_t *set, siginfo_t *info, int64_t deadline);
/* sigsuspend: replaces the calling thread's mask with mask until a handler has run, then
 * restores it. Returns -EINTR. */
int gp__signal_suspend(const sigset_t *mask);
/* A siglongjmp with a saved mask is about to give the calling thread that mask. */
void gp__signal_jump_mask(const sigset_t *mask);

/* A green thread parks in a wait that a signal handler may end (how != GP_INTR_NEVER). */
void gp__signal_enter_wait(struct gp_thread *t, enum gp_interrupt how);
void gp__signal_leave_wait(struct gp_thread *t);

/* Run by the hub around each poll: routes the signals that came to the threads that take
 * them and wakes those threads. */
void gp__signal_dispatch(void);
/* Whether the hub has signals to route: read on every switch (pick_next), so inline. */
extern volatile sig_atomic_t gp__signal_routing_needed;
/* Set by shim/vfork.c while a vfork child runs on this OS thread's memory (the parent is
 * suspended meanwhile), cleared when the parent resumes. */
extern __thread bool gp__signal_vfork_child;
static inline bool gp__signal_pending(void) { return gp__signal_routing_needed; }
/* Run by a thread at the end of an interruptible wait, on its own fiber, once the wait has
 * undone what it registered: runs the handlers deferred to it and says how they end the
 * wait. */
enum gp_handlers_ran { GP_HANDLERS_NONE, GP_HANDLERS_RESTART, GP_HANDLERS_INTERRUPT };
bool gp__signal_has_deferred(const struct gp_thread *t);
enum gp_handlers_ran gp__signal_run_deferred(struct gp_thread *t);
/* True inside a handler that the trampoline runs where the signal interrupted the calling
 * OS thread (not at the end of a wait): the wait table and the run queue may be in the
 * middle of a change there, and only async-signal-safe ways to wake a thread will do.
 * (Inline: every yield asks.) */
extern __thread volatile sig_atomic_t gp__signal_at_once_depth;
static inline bool gp__signal_in_handler(void) { return gp__signal_at_once_depth > 0; }

/* The scheduler's hooks: the main thread is adopted (its mask is the OS thread's) with the
 * hub; a spawned thread inherits its creator's mask; a thread that exits takes no more
 * signals. */
void gp__signal_adopt(struct gp_thread *main, struct gp_thread *hub);
void gp__signal_spawned(const struct gp_thread *creator, struct gp_thread *t);
void gp__signal_forget_thread(struct gp_thread *t);
/* Calls fn for every live green thread, oldest first (the thread dump, inspect.h). */
void gp__signal_each_thread(void (*fn)(struct gp_thread *t, void *arg), void *arg);
/* pthread_kill for a green thread t; os_thread is the scheduler's OS thread. Returns 0 or
 * a negative errno. */
int gp__signal_send(struct gp_thread *t, pthread_t os_thread, int sig);
/* pthread_sigqueue for a green thread, the same way, with value. */
int gp__signal_queue(struct gp_thread *t, pthread_t os_thread, int sig, const union sigval value);
/* In a fork child: the other threads are gone, and with them what was pending for them. */
void gp__signal_after_fork(void);

/* The OS thread's real mask as last set by the shim. */
extern uint64_t gp__signal_real_mask;
void gp__signal_switch_mask(struct gp_thread *from, uint64_t mask);

/* While the scheduler makes the thread it resumes whole (its thread-local storage, tls.h),
 * no handler may run in the middle, where it would see half of one thread's values and half
 * of another's: a signal that comes meanwhile is deferred to its thread, and the resumed
 * thread runs its own right after (gp__signal_switch_in). */
void gp__signal_defer_begin(void);
void gp__signal_defer_end(void);

/* Called by the scheduler on the fiber just switched to, from the one switched from (NULL
 * when that one exited). */
static inline void gp__signal_switch_in(struct gp_thread *from, struct gp_thread *next)
{
    if (next->sig_blocked != gp__signal_real_mask)
        gp__signal_switch_mask(from, next->sig_blocked);
    if (next->deferred_signals && next->interrupt == GP_INTR_NEVER && !next->is_hub)
        gp__signal_run_deferred(next);
}

#endif
