/* Green condition variables.
 * Interposes: pthread_cond_wait, pthread_cond_timedwait, pthread_cond_clockwait,
 * pthread_cond_signal, pthread_cond_broadcast (the GLIBC_2.3.2 ABI; the GLIBC_2.2.5
 * versions are glibc's compatibility shims for programs built before 2002 and are left
 * alone).
 *
 * glibc's pthread_cond_wait relocks the mutex through its internal entry points, so the
 * mutex and condition families must be interposed together: the green wait releases and
 * retakes the mutex through the green mutex (runtime/sync.h).
 *
 * coverage cooperative: pthread_cond_wait pthread_cond_timedwait pthread_cond_clockwait */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "sync.h"

#include <pthread.h>

static bool green_cond(const pthread_cond_t *c) { return gp_green() && !gp__cond_shared(c); }

/* The waits are cancellation points: a cancelled waiter ends once it holds the mutex again,
 * so that its cleanup handlers run with the mutex locked (POSIX). */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    int saved = errno;
    int r = gp__cond_wait(c, m, deadline);
    gp__cancel_point();
    return gp_return_error(r, saved);
}

static int wait_until(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                      const struct timespec *abstime)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    if (!gp__timespec_valid(abstime))
        return EINVAL;
    int64_t deadline = gp__deadline_from_abs(clock, abstime);
    return cond_wait(c, m, deadline > 0 ? deadline : 1);
}

GP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    gp__cancel_point();
    if (!green_cond(c))
        return gp__real.pthread_cond_wait(c, m);
    return cond_wait(c, m, GP_NO_DEADLINE);
}

GP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *abstime)
{
    gp__cancel_point();
    if (!green_cond(c))
        return gp__real.pthread_cond_timedwait(c, m, abstime);
    return wait_until(c, m, gp__cond_clock(c), abstime);
}

GP_EXPORT_VERSIONS(pthread_cond_clockwait, "GLIBC_2.34", "GLIBC_2.30")
int gp_shim_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                   const struct timespec *abstime)
{
    gp__cancel_point();
    if (!green_cond(c))
        return gp__real.pthread_cond_clockwait(c, m, clock, abstime);
    return wait_until(c, m, clock, abstime);
}

static int wake(pthread_cond_t *c, bool all)
{
    /* Before the first pthread_create there is no green waiter: glibc's call after one
     * load (rule 5; Python signals its GIL's condition at every release of the GIL). */
    if (!gp__sched_live)
        return all ? gp__real.pthread_cond_broadcast(c) : gp__real.pthread_cond_signal(c);
    int saved = errno;
    if (!gp__init() || gp__cond_shared(c) || (gp__current && gp__current->is_hub))
        return all ? gp__real.pthread_cond_broadcast(c) : gp__real.pthread_cond_signal(c);
    if (!gp__current)
        return gp_return_error(gp__cond_wake_from_stranger(c, all), saved);
    return gp_return_error(gp__cond_wake(c, all), saved);
}

GP_EXPORT int pthread_cond_signal(pthread_cond_t *c) { return wake(c, false); }

GP_EXPORT int pthread_cond_broadcast(pthread_cond_t *c) { return wake(c, true); }
