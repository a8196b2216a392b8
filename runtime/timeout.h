/* Timeout scopes (greenpatch.h: gp_timeout_push, gp_timeout_pop): the C form of eventlet's
 * `with Timeout(5):`. Each green thread has a stack of scopes in its struct gp_thread; the
 * innermost holds the effective deadline, never later than the ones around it.
 *
 * HOW A WAIT HONOURS A SCOPE. A site that computes the deadline of a park passes it through
 * gp__timeout_bound first, and once the park ends with GP_WAKE_TIMEOUT asks
 * gp__timeout_cut(its own deadline) whether the scope ended it: then the call fails with
 * ETIMEDOUT (poll, select and epoll_wait return 0, sleep the seconds left), else it keeps
 * its natural result (EAGAIN of SO_RCVTIMEO, ETIMEDOUT of a timed wait). A site that waits
 * in steps (a poll that looks again after each pause) also stops once gp__timeout_check
 * says the scope has passed: a park with a past deadline returns at once, so a loop that
 * did not stop would spin and freeze every green thread.
 *
 * Bounded: the fd waits of io.c (read, write, recv*, send*, accept, connect, the stdio
 * waits through gp__io_wait_ready, splice/sendfile/tee through gp__io_wait), recvmmsg and
 * sendmmsg (through them), the FIFO opens and SO_LINGER closes of fdio.c, poll, ppoll,
 * select, pselect, epoll_wait, epoll_pwait(2) (mux.c), the sleeps (sleep, usleep,
 * nanosleep, clock_nanosleep, gp_sleep), pthread_mutex_lock/timedlock/clocklock, mtx_lock
 * and mtx_timedlock, pthread_cond_wait/timedwait/clockwait, cnd_wait and cnd_timedwait,
 * pthread_rwlock_*lock (not the try-locks), sem_wait/timedwait/clockwait (on a worker too
 * for a shared semaphore: its kernel wait gets the bounded deadline), pthread_join and
 * the timed joins, thrd_join, gp_join, sigwait/sigwaitinfo/sigtimedwait, sigsuspend and
 * pause and the sigpause family, wait/waitpid/waitid/wait3/wait4, mq_send/mq_receive and
 * their timed forms, futex waits of syscall(SYS_futex) that carry a timeout, aio_suspend
 * (the worker's wait gets the bounded time), and the raw syscall() forms of all of these.
 * A green thread alone under a scope waits through the hub too (gp__sched_others), or its
 * plain call would block past the deadline.
 *
 * Deliberately NOT bounded (they cannot fail, or failing would break what they guard):
 *  - flockfile and stdio's internal FILE locks: no error to report, and the FILE would be
 *    used unlocked;
 *  - pthread_once waiting for another thread's init routine: the routine must have run
 *    when it returns;
 *  - the relock of the mutex at the end of a condition wait: the caller must hold the
 *    mutex when the wait returns, whatever its result;
 *  - pthread_barrier_wait: the barrier's count would be wrong for every other thread;
 *  - exit paths (a thread's exit, process exit, atexit, the fork handlers);
 *  - the worker pool's wait for a job (regular-file I/O, name resolution, flock and
 *    fcntl locks, tcdrain, semop and msgrcv, gp_offload...): the job uses the caller's
 *    stack, so the caller waits until it is done, and the deadline applies from the next
 *    wait on;
 *  - syscall(SYS_futex) FUTEX_WAIT without a timeout: the lock loops of other libraries
 *    (GLib's g_mutex_lock) retry on any return and cannot see a scope: bounded, they would
 *    spin; pclose and system, which wait for their child as part of closing. */
#ifndef GP_TIMEOUT_H
#define GP_TIMEOUT_H

#include "clock.h"
#include "scheduler.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* The scope state of a new green thread (main's included): none open. */
static inline void gp__timeout_init(struct gp_thread *t)
{
    t->timeout_depth = 0;
    t->timeout_deadline = GP_NO_DEADLINE;
}

/* min(deadline, the calling green thread's scope deadline); deadline itself for callers
 * that are not green threads. 0 (a try) stays 0. */
static inline int64_t gp__timeout_bound(int64_t deadline)
{
    struct gp_thread *t = gp__current;
    if (!t || t->timeout_deadline >= deadline)
        return deadline;
    return t->timeout_deadline;
}

/* After a wait bounded by gp__timeout_bound(own) timed out: true when the scope's deadline
 * came before own, the call's own deadline, and has passed, so that it ended the wait. */
static inline bool gp__timeout_cut(int64_t own)
{
    struct gp_thread *t = gp__current;
    return t && t->timeout_deadline < own && gp__now_ns() >= t->timeout_deadline;
}

/* -ETIMEDOUT once the calling green thread's scope deadline has passed, else 0: for waits
 * in steps, which stop there. */
static inline int gp__timeout_check(void)
{
    struct gp_thread *t = gp__current;
    if (!t || t->timeout_deadline == GP_NO_DEADLINE)
        return 0;
    return gp__now_ns() >= t->timeout_deadline ? -ETIMEDOUT : 0;
}

/* The result of a wait bounded by the scope that ended with GP_WAKE_TIMEOUT: -ETIMEDOUT
 * when the scope ended it, else natural (the call's own timeout error). */
static inline int gp__timeout_error(int64_t own, int natural)
{
    return gp__timeout_cut(own) ? -ETIMEDOUT : natural;
}

#endif
