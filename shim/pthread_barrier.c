/* Green barriers.
 * Interposes: pthread_barrier_wait, pthread_barrier_destroy.
 *
 * A green thread waits for its round in the wait table (runtime/barrier.h). glibc's
 * destroy waits, in the kernel, for the threads of the last round to leave; green ones
 * leave only when they run, so a green thread's destroy waits green too. An OS thread the
 * scheduler does not run uses glibc's functions, and then wakes the green waiters through
 * the hub.
 *
 * coverage cooperative: pthread_barrier_wait pthread_barrier_destroy */
#include "shim.h"

#include "barrier.h"

#include <pthread.h>

static bool stranger(void) { return !gp__current && gp__sched_main(); }

GP_EXPORT_VERSIONS(pthread_barrier_wait, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_barrier_wait(pthread_barrier_t *b)
{
    if (!gp_cooperative()) {
        int r = gp__real.pthread_barrier_wait(b);
        if (stranger())
            gp__barrier_stranger_used(b);
        return r;
    }
    int saved = errno;
    int r = gp__barrier_wait(b);
    errno = saved;
    return r;
}

GP_EXPORT_VERSIONS(pthread_barrier_destroy, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (!gp_cooperative())
        return gp__real.pthread_barrier_destroy(b);
    int saved = errno;
    return gp_return_error(gp__barrier_destroy(b), saved);
}
