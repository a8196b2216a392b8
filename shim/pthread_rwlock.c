/* Green read-write locks.
 * Interposes: pthread_rwlock_rdlock, pthread_rwlock_wrlock, pthread_rwlock_tryrdlock,
 * pthread_rwlock_trywrlock, pthread_rwlock_timedrdlock, pthread_rwlock_timedwrlock,
 * pthread_rwlock_clockrdlock, pthread_rwlock_clockwrlock, pthread_rwlock_unlock.
 *
 * As with mutexes, every green thread uses the green implementation (runtime/rwlock.h),
 * even while it is the only one, so that the writer recorded in the lock means the same
 * thing before and after other threads appear, and so that green writers waiting for a
 * lock that prefers writers hold back green readers.
 *
 * coverage cooperative: pthread_rwlock_rdlock pthread_rwlock_wrlock pthread_rwlock_timedrdlock
 * coverage cooperative: pthread_rwlock_timedwrlock pthread_rwlock_clockrdlock
 * coverage cooperative: pthread_rwlock_clockwrlock */
#include "shim.h"

#include "clock.h"
#include "rwlock.h"
#include "timeout.h"

#include <pthread.h>

/* Not a green thread: glibc's function, after noting a stranger's use. */
#define GP_RWLOCK_GATE(real_call)                                                             \
    do {                                                                                      \
        if (!gp_green()) {                                                                    \
            gp__rwlock_note_stranger();                                                       \
            return real_call;                                                                 \
        }                                                                                     \
    } while (0)

static int lock(pthread_rwlock_t *l, bool write, int64_t deadline)
{
    int saved = errno;
    return gp_return_error(gp__rwlock_lock(l, write, deadline), saved);
}

/* glibc checks the clock and the time before anything else, even when the lock is free. */
static int lock_until(pthread_rwlock_t *l, bool write, clockid_t clock,
                      const struct timespec *abstime)
{
    if ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) || !gp__timespec_valid(abstime))
        return EINVAL;
    int64_t deadline = gp__deadline_from_abs(clock, abstime);
    /* 0 would mean a try-lock. The timeout scope (runtime/timeout.h) bounds timed locks
     * only: callers of a lock without a timeout do not look at its result, and would go on
     * unlocked. */
    return lock(l, write, gp__timeout_bound(deadline > 0 ? deadline : 1));
}

GP_EXPORT_VERSIONS(pthread_rwlock_rdlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_rdlock(l));
    return lock(l, false, GP_NO_DEADLINE);
}

GP_EXPORT_VERSIONS(pthread_rwlock_wrlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_wrlock(l));
    return lock(l, true, GP_NO_DEADLINE);
}

GP_EXPORT_VERSIONS(pthread_rwlock_tryrdlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_tryrdlock(l));
    return lock(l, false, 0);
}

GP_EXPORT_VERSIONS(pthread_rwlock_trywrlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_trywrlock(l));
    return lock(l, true, 0);
}

GP_EXPORT_VERSIONS(pthread_rwlock_timedrdlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_timedrdlock(l, abstime));
    return lock_until(l, false, CLOCK_REALTIME, abstime);
}

GP_EXPORT_VERSIONS(pthread_rwlock_timedwrlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_timedwrlock(l, abstime));
    return lock_until(l, true, CLOCK_REALTIME, abstime);
}

GP_EXPORT_VERSIONS(pthread_rwlock_clockrdlock, "GLIBC_2.34", "GLIBC_2.30")
int gp_shim_pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_clockrdlock(l, clock, abstime));
    return lock_until(l, false, clock, abstime);
}

GP_EXPORT_VERSIONS(pthread_rwlock_clockwrlock, "GLIBC_2.34", "GLIBC_2.30")
int gp_shim_pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    GP_RWLOCK_GATE(gp__real.pthread_rwlock_clockwrlock(l, clock, abstime));
    return lock_until(l, true, clock, abstime);
}

GP_EXPORT_VERSIONS(pthread_rwlock_unlock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    int saved = errno;
    if (!gp__init() || !gp__sched_main() || (gp__current && gp__current->is_hub))
        return gp__real.pthread_rwlock_unlock(l);
    if (!gp__current)
        return gp_return_error(gp__rwlock_unlock_from_stranger(l), saved);
    return gp_return_error(gp__rwlock_unlock(l), saved);
}
