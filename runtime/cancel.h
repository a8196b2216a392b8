/* How a green thread ends: pthread_exit, cleanup handlers, and deferred cancellation.
 *
 * glibc keeps this state in its struct pthread, one per OS thread, and every green thread
 * shares the one OS thread: here each green thread has its own (struct gp_thread). The
 * protocol is glibc 2.36's (nptl/unwind.c, cleanup*.c, pthread_cancel.c), checked against
 * Debian 12:
 *
 *  - pthread_cleanup_push in C without -fexceptions saves a __sigsetjmp buffer on the
 *    caller's stack and registers it (__pthread_register_cancel); pop unregisters it.
 *    Binaries built before glibc 2.3.3 use _pthread_cleanup_push with a list of buffers.
 *  - pthread_exit unwinds the stack with _Unwind_ForcedUnwind (libgcc_s): C++ destructors
 *    and C cleanup attributes (-fexceptions) run as the frames go; when the unwinding passes
 *    a frame that registered a buffer, the stop function longjmps into it, the macro runs
 *    the handler and calls __pthread_unwind_next, which starts the next unwind.
 *  - the unwinding ends at the bottom of the thread: for a green thread the frame that
 *    called its start routine (a fiber has no frames below it), for main the end of its
 *    stack. Then the thread-specific data destructors run (tsd.h) and the thread ends.
 *
 * Cancellation is deferred: a request is acted on at the next cancellation point. A
 * thread that set PTHREAD_CANCEL_ASYNCHRONOUS is also cancelled at once where glibc does it
 * without a signal (pthread_cancel of itself, enabling cancellation or the asynchronous
 * type with a request pending); otherwise at its next cancellation point, as with deferred
 * cancellation: green threads only change hands at calls into the shim, and acting inside
 * an arbitrary one could leave the runtime's state half changed.
 *
 * THE HOOK FOR CANCELLATION POINTS. Every shim function of a cancellation point
 * (pthreads(7), and the Linux calls that glibc 2.36 makes cancellable: its wrappers built
 * with SYSCALL_CANCEL, and the functions that call them) calls the hook:
 *   1. gp__cancel_point(), first thing, before its gate (a request may be pending when the
 *      call starts, and the call must act on it even when the caller is the only green
 *      thread);
 *   2. gp__cancel_point_after(r), after its runtime call returned r, before it sets errno:
 *      pthread_cancel wakes a parked cancellation point as a signal handler would
 *      (GP_WAKE_INTERRUPT, so the call fails, typically with -EINTR), and the hook then
 *      ends the thread instead of letting that result reach the program. A call that
 *      completed keeps its result (the bytes it read, the connection it accepted, the
 *      token or child status it took), and a request that came meanwhile stays pending for
 *      the next cancellation point: glibc 2.36 acts at a system call's entry and while it
 *      blocks, never once it has returned, and POSIX allows a cancelled call no side
 *      effects but those of EINTR. Calls whose success changes nothing (the sleeps, the
 *      condition waits, which also end with the mutex locked) call gp__cancel_point().
 * The thread unwinds from inside the hook, through the shim's and the runtime's C frames,
 * which have no cleanups: whatever a wait registered (watchers, waiter links, heap copies)
 * must be undone before the hook runs, which is why it runs in the shim, after the
 * runtime call has returned. The one exception is stdio (streams.c), which acts where
 * glibc's internal read and write would, inside the call: the FILE locks it holds there
 * are registered as cleanup handlers of the old protocol (gp__cancel_push_old), as glibc's
 * _IO_cleanup_region_start did, so that the unwinding gives them back.
 * pthread_cancel wakes a parked thread when its wait is interruptible (interrupt !=
 * GP_INTR_NEVER: the blocking system calls, all cancellation points) or when it set
 * cancel_wait around the park (pthread_cond_wait, pthread_join: waits no signal ends, woken
 * as if spuriously). A wait that retries after wake-ups no handler explains (a child wait,
 * a signal wait, sigsuspend) ends with -EINTR instead when gp__cancel_due() says the wake
 * was for a cancellation. A wait in a call that is no cancellation point must not end for
 * one, as natively no signal reaches a thread there in deferred mode (glibc 2.36 sends
 * SIGCANCEL only to a thread with asynchronous cancellation on, which its cancellable
 * wrappers turn on around the system call): such a wait is not woken (locks, the worker
 * pool), retries the wake-up (pclose's wait for its child), or runs with cancellation
 * suspended (gp__cancel_suspend: syscall(), sendfile).
 * Waits in the worker pool (pool.h) are not woken: the job lives on the caller's stack, so
 * the request is acted on once the job has come back, if the call failed, else at the next
 * cancellation point. */
#ifndef GP_CANCEL_H
#define GP_CANCEL_H

#include "scheduler.h"

#include <pthread.h>

/* Acts on a pending, enabled cancellation request of the calling green thread: runs its
 * cleanup handlers and thread-specific data destructors and ends it with PTHREAD_CANCELED.
 * Returns when there is none. */
void gp__cancel_act(void);

/* The hook of every cancellation point (see above). One load when nothing is pending. */
static inline void gp__cancel_point(void)
{
    struct gp_thread *t = gp__current;
    if (__builtin_expect(t != NULL && __atomic_load_n(&t->cancel_pending, __ATOMIC_RELAXED), 0))
        gp__cancel_act();
}

/* The hook after a cancellation point's runtime call, which returned r (>= 0, or a
 * negative errno): acts on a request only when the call failed (see above). */
static inline void gp__cancel_point_after(long r)
{
    if (r < 0)
        gp__cancel_point();
}

/* True when gp__cancel_point would end the calling thread now. */
bool gp__cancel_due(void);

/* For a call that runs a cancellation point's code without being one itself (glibc's
 * syscall() is a plain system call; the runtime's own report on stderr): the calling green
 * thread's cancellation points do not act, and pthread_cancel does not wake it, until
 * gp__cancel_resume(what this returned). A request that comes meanwhile stays pending.
 * Any thread may call them: they do nothing outside green threads. */
static inline bool gp__cancel_suspend(void)
{
    struct gp_thread *t = gp__current;
    if (!t || t->is_hub)
        return true;
    bool was_disabled = t->cancel_disabled;
    t->cancel_disabled = true;
    return was_disabled;
}

static inline void gp__cancel_resume(bool was_disabled)
{
    struct gp_thread *t = gp__current;
    if (t && !t->is_hub)
        t->cancel_disabled = was_disabled;
}

/* A jump (longjmp, siglongjmp) of the calling green thread to a frame whose stack pointer
 * is sp: the cleanup handlers of the old protocol registered below it, by the frames the
 * jump leaves, run and are taken off, as glibc's longjmp does (_longjmp_unwind). */
void gp__cancel_jump(uintptr_t sp);

/* pthread_exit for the calling green thread: result becomes what pthread_join returns. */
_Noreturn void gp__cancel_exit(void *result);

/* Runs t's start routine on t (the calling fiber). Returns what it returned, or what
 * pthread_exit was given when it exited or was cancelled inside it. */
void *gp__cancel_run(struct gp_thread *t);

/* pthread_cancel of a green thread, from the scheduler thread (the caller may be the
 * target) or from another OS thread. Returns 0. */
int gp__cancel_request(struct gp_thread *t);

/* pthread_setcancelstate and pthread_setcanceltype for the calling green thread. Return 0
 * or -EINVAL; may end the thread as glibc does. */
int gp__cancel_set_state(int state, int *old);
int gp__cancel_set_type(int type, int *old);

/* Cleanup handler registration (pthread.h's macros and the pre-2.3.3 functions). buf is a
 * __pthread_unwind_buf_t; the calls come from a green thread, or, for the _real variants,
 * from any thread (they register with glibc and remember what the scheduler's main thread
 * registered, for when it becomes green). */
void gp__cancel_register(void *buf, bool defer);
void gp__cancel_unregister(void *buf, bool restore);
void gp__cancel_register_real(void *buf, bool defer);
void gp__cancel_unregister_real(void *buf, bool restore);
/* True when buf was registered by gp__cancel_register (a green thread's). */
bool gp__cancel_registered_green(const void *buf);
_Noreturn void gp__cancel_unwind_next(void *buf);
void gp__cancel_push_old(struct _pthread_cleanup_buffer *b, void (*routine)(void *), void *arg);
void gp__cancel_pop_old(struct _pthread_cleanup_buffer *b, int execute);

/* The scheduler adopts the calling OS thread's flow as the main green thread: its
 * cancellation state and the cleanup buffers it registered so far come along. */
void gp__cancel_adopt_main(struct gp_thread *main);

#endif
