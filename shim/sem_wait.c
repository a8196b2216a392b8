/* POSIX semaphores.
 * Interposes: sem_wait, sem_timedwait, sem_clockwait, sem_trywait, sem_post.
 *
 * A green thread waits for a token of a private semaphore in the wait table
 * (runtime/sem.h); sem_post wakes green waiters as well as the OS threads glibc put to
 * sleep in the kernel, and a post from an OS thread the scheduler does not run, or from a
 * signal handler, wakes green waiters through the hub. A shared or named semaphore, which
 * another process may post, is waited for on a worker of the pool. sem_trywait is glibc's,
 * and its "not yet" (EAGAIN) lets the other green threads run first (shim.h), as a program
 * may try in a loop. sem_getvalue, sem_init, sem_destroy, sem_open and sem_close never
 * block and share the same word protocol: they are left to glibc. The waits are
 * cancellation points (glibc's act on a pending request even when a token is there); a
 * cancelled wait takes no token.
 *
 * coverage cooperative: sem_wait sem_timedwait sem_clockwait */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "sem.h"

#include <semaphore.h>

GP_EXPORT_VERSIONS(sem_wait, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_sem_wait(sem_t *s)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sem_wait(s);
    int saved = errno;
    int r = gp__sem_wait(s, GP_NO_DEADLINE);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

/* As glibc: the clock, then the time are checked before the semaphore is looked at. */
static int wait_until(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    int saved = errno;
    int r;
    if ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) || !gp__timespec_valid(abstime))
        r = -EINVAL;
    else
        r = gp__sem_wait(s, gp__deadline_from_abs(clock, abstime));
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT_VERSIONS(sem_timedwait, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sem_timedwait(s, abstime);
    return wait_until(s, CLOCK_REALTIME, abstime);
}

GP_EXPORT_VERSIONS(sem_clockwait, "GLIBC_2.34", "GLIBC_2.30")
int gp_shim_sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sem_clockwait(s, clock, abstime);
    return wait_until(s, clock, abstime);
}

GP_EXPORT_VERSIONS(sem_trywait, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_sem_trywait(sem_t *s)
{
    if (!gp_cooperative())
        return gp__real.sem_trywait(s);
    int saved = errno;
    return (int)gp_return(gp__real.sem_trywait(s) == 0 ? 0 : -errno, saved);
}

/* Before the first green thread there is nobody to wake but what glibc wakes. */
GP_EXPORT_VERSIONS(sem_post, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_sem_post(sem_t *s)
{
    if (!gp__init() || !gp__sched_main())
        return gp__real.sem_post(s);
    int saved = errno;
    return (int)gp_return(gp__sem_post(s), saved);
}
