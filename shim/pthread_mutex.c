/* Green mutexes.
 * Interposes: pthread_mutex_lock, pthread_mutex_trylock, pthread_mutex_timedlock,
 * pthread_mutex_clocklock, pthread_mutex_unlock.
 *
 * Every green thread uses the green implementation (runtime/sync.h), even while it is the
 * only one: mutex ownership must mean the same thing before and after other threads
 * appear. Before the first pthread_create nothing is green and glibc does the work.
 *
 * coverage cooperative: pthread_mutex_lock pthread_mutex_timedlock pthread_mutex_clocklock */
#include "shim.h"

#include "clock.h"
#include "sync.h"
#include "timeout.h"

#include <pthread.h>

/* While dlsym runs inside the shim's own initialisation (a program-supplied malloc that
 * locks), there is one thread and no table yet: locking has nothing to exclude. */
#define GP_MUTEX_GATE(real_call)                                                              \
    do {                                                                                      \
        if (!gp__init())                                                                      \
            return 0;                                                                         \
        if (!gp__sched_green())                                                               \
            return real_call;                                                                 \
    } while (0)

GP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    GP_MUTEX_GATE(gp__real.pthread_mutex_lock(m));
    int saved = errno;
    /* The timeout scope (runtime/timeout.h) bounds the wait: ETIMEDOUT, as a timed lock. */
    return gp_return_error(gp__mutex_lock(m, gp__timeout_bound(GP_NO_DEADLINE)), saved);
}

GP_EXPORT_VERSIONS(pthread_mutex_trylock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_mutex_trylock(pthread_mutex_t *m)
{
    GP_MUTEX_GATE(gp__real.pthread_mutex_trylock(m));
    int saved = errno;
    return gp_return_error(gp__mutex_lock(m, 0), saved);
}

/* glibc checks the clock first, and the time only when the mutex is not free. */
static int lock_until(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
    int saved = errno;
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    int r = gp__mutex_lock(m, 0);
    if (r != -EBUSY)
        return gp_return_error(r, saved);
    if (!gp__timespec_valid(abstime))
        return EINVAL;
    int64_t deadline = gp__deadline_from_abs(clock, abstime);
    return gp_return_error(gp__mutex_lock(m, gp__timeout_bound(deadline > 0 ? deadline : 1)),
                           saved);
}

GP_EXPORT_VERSIONS(pthread_mutex_timedlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    GP_MUTEX_GATE(gp__real.pthread_mutex_timedlock(m, abstime));
    return lock_until(m, CLOCK_REALTIME, abstime);
}

GP_EXPORT_VERSIONS(pthread_mutex_clocklock, "GLIBC_2.34", "GLIBC_2.30")
int gp_shim_pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime)
{
    GP_MUTEX_GATE(gp__real.pthread_mutex_clocklock(m, clock, abstime));
    return lock_until(m, clock, abstime);
}

GP_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    GP_MUTEX_GATE(gp__real.pthread_mutex_unlock(m));
    int saved = errno;
    return gp_return_error(gp__mutex_unlock(m), saved);
}
