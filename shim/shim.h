/* What every interposed function shares. Each one has the same three steps:
 *
 *   1. the gate: if the shim is not initialised, disabled, or the caller is not a green
 *      thread that could let another run, call the real function and return;
 *   2. one runtime call, which returns a value >= 0 or a negative errno;
 *   3. gp_return(): the one place where errno is set.
 *
 * errno is saved at the gate and restored on success, so that a call that succeeds leaves
 * errno as the program left it, however many failed attempts the runtime made inside. */
#ifndef GP_SHIM_H
#define GP_SHIM_H

#include "config.h"
#include "init.h"
#include "real.h"
#include "scheduler.h"

#include <errno.h>
#include <signal.h>

#define GP_EXPORT __attribute__((visibility("default")))

/* glibc's report of a failed _FORTIFY_SOURCE check (a count larger than the buffer the
 * compiler saw); it ends the process. The shim's __*_chk names check as glibc's do. */
extern void __chk_fail(void) __attribute__((noreturn));

/* Exports a function under a name with two symbol versions: the default one that programs
 * linked today bind to, and the one that programs linked against older glibc bind to (the
 * pthread functions moved from libpthread to libc in glibc 2.34 and got new versions). An
 * interposer without the version a program asks for is never called. */
#define GP_EXPORT_VERSIONS(name, current, older)                                              \
    __attribute__((visibility("default"), symver(#name "@@" current), symver(#name "@" older)))

/* A call that answers "not yet": EAGAIN (EWOULDBLOCK) from a non-blocking fd, a try or a
 * zero timeout, EBUSY from a try-lock or a try-join, ETIMEDOUT from a timed wait (whose
 * time may have been up before it began). Natively the other threads go on meanwhile on
 * other CPUs, and programs loop on such calls until another thread has acted
 * (`while (pthread_mutex_trylock(&m) == EBUSY)`, a read of a non-blocking pipe until a
 * writer thread writes). The caller yields before it returns (gp__sched_yield, which also
 * goes through the hub every so many times, for I/O and timers), so that such a loop ends
 * under the shim too. The calls whose "not yet" is no error yield in their own code: the
 * multiplexing calls with a zero timeout, WNOHANG waits, sleeps of no time.
 * Only "not yet" yields: a switch inside calls that succeed at once (every so many mutex
 * calls, say) comes where no program expects to lose the processor, and with
 * GREENPATCH_TLS=shared, where green threads share the OS thread's thread-local variables,
 * node aborted in its worker threads' mutexes when those yielded too. */
static inline bool gp_not_yet(long r) { return r == -EAGAIN || r == -EBUSY || r == -ETIMEDOUT; }

static inline long gp_return(long r, int saved_errno)
{
    if (r < 0) {
        if (gp_not_yet(r))
            gp__sched_yield();
        errno = (int)-r;
        return -1;
    }
    errno = saved_errno;
    return r;
}

/* For the pthread functions, which return an error number and never set errno. */
static inline int gp_return_error(int r, int saved_errno)
{
    if (gp_not_yet(r))
        gp__sched_yield();
    errno = saved_errno;
    return -r;
}

/* pthread_sigmask as the program calls it (shim/pthread_sigmask.c), for the other calls
 * that change the mask (sigset). */
int gp_shim_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);

/* The gate for calls that can block: true when the call should go through the runtime. */
static inline bool gp_cooperative(void) { return gp__init() && gp__sched_others(); }

/* The gate for calls whose state must stay consistent once green threads exist (mutexes,
 * condition variables, joins): true whenever the caller is a green thread. */
static inline bool gp_green(void) { return gp__init() && gp__sched_green(); }

/* The gate for calls that take a pthread_t, from any thread: the green thread behind h, or
 * NULL for a thread the shim does not run (glibc's functions can read its struct pthread). */
static inline struct gp_thread *gp_green_handle(pthread_t h)
{
    return gp__init() && !gp__config.disabled ? gp__sched_from_handle(h) : NULL;
}

#endif
