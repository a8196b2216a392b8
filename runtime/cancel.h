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
 * (pthreads(7)) calls gp__cancel_point():
 *   1. first thing, before its gate (a request may be pending when the call starts, and the
 *      call must act on it even when the caller is the only green thread);
 *   2. after its runtime call returns, before it sets errno: pthread_cancel wakes a parked
 *      cancellation point as a signal handler would (GP_WAKE_INTERRUPT, so the call
 *      returns, typically with -EINTR), and the hook then ends the thread instead of
 *      letting that result reach the program.
 * The thread unwinds from inside the hook, through the shim's and the runtime's C frames,
 * which have no cleanups: whatever a wait registered (watchers, waiter links, heap copies)
 * must be undone before the hook runs, which is why it runs in the shim, after the
 * runtime call has returned.
 * pthread_cancel wakes a parked thread when its wait is interruptible (interrupt !=
 * GP_INTR_NEVER: the blocking system calls, all cancellation points) or when it set
 * cancel_wait around the park (pthread_cond_wait, pthread_join: waits no signal ends, woken
 * as if spuriously). A wait of either kind that is not a cancellation point just sees a
 * wake-up it retries or reports as EINTR, as SIGCANCEL would have done natively. */
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

/* True when gp__cancel_point would end the calling thread now. */
bool gp__cancel_due(void);

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
