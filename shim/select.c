/* Waiting for fds in fd sets without stalling the other green threads: the caller parks
 * on the hub while nothing is ready (runtime/mux.h). As on Linux, select leaves in its
 * timeval the time it did not wait; pselect leaves its timespec alone (glibc waits on a
 * copy). Each is a cancellation point.
 * Interposes: select, __select, pselect.
 * coverage cooperative: select __select pselect */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "mux.h"

#include <stdint.h>
#include <sys/select.h>

/* A timeval in nanoseconds, saturating: glibc accepts microseconds beyond a second. */
static int64_t timeval_ns(const struct timeval *tv)
{
    int64_t sec = tv->tv_sec + tv->tv_usec / 1000000;
    if (sec < tv->tv_sec || sec > INT64_MAX / 1000000000 - 1)
        return INT64_MAX;
    return sec * 1000000000 + (int64_t)(tv->tv_usec % 1000000) * 1000;
}

static int green_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
    /* glibc refuses negative times at once. */
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0))
        return gp__real.select(n, r, w, e, timeout);
    int saved = errno;
    int64_t deadline = timeout ? gp__mux_deadline(timeval_ns(timeout)) : GP_NO_DEADLINE;
    int ret = gp__mux_select(n, r, w, e, deadline, NULL);
    /* Whatever the outcome, the kernel writes back the time left (none after a timeout),
     * and glibc turns it into a timeval. */
    if (timeout && deadline != GP_NO_DEADLINE) {
        int64_t left = deadline - gp__now_ns();
        if (deadline == 0 || left < 0)
            left = 0;
        timeout->tv_sec = left / 1000000000;
        timeout->tv_usec = left % 1000000000 / 1000;
    }
    gp__cancel_point_after(ret);
    return (int)gp_return(ret, saved);
}

GP_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.select(n, r, w, e, timeout);
    return green_select(n, r, w, e, timeout);
}

/* glibc's other name for select. */
GP_EXPORT int __select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
    __attribute__((alias("select")));

GP_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
                      const sigset_t *mask)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.pselect(n, r, w, e, timeout, mask);
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return gp__real.pselect(n, r, w, e, timeout, mask);
    int saved = errno;
    int64_t deadline = timeout ? gp__mux_deadline(gp__timespec_ns(timeout)) : GP_NO_DEADLINE;
    int ret = gp__mux_select(n, r, w, e, deadline, mask);
    gp__cancel_point_after(ret);
    return (int)gp_return(ret, saved);
}
