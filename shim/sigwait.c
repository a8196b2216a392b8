/* Waiting for signals without stalling the other green threads (runtime/signals.h): a
 * signal pending for the calling thread or the process, one the shim kept or one pending
 * in the kernel, is taken at once; otherwise the thread waits on the hub until one comes.
 * A handler for another signal ends sigwaitinfo and sigtimedwait with EINTR (they are
 * never restarted, signal(7)); sigwait goes on waiting, as glibc's does. Each is a
 * cancellation point; a cancelled wait takes no signal.
 * Interposes: sigwait, sigwaitinfo, sigtimedwait.
 * coverage cooperative: sigwait sigwaitinfo sigtimedwait */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "signals.h"

#include <signal.h>

/* sigtimedwait and sigwaitinfo, after the cancellation point's entry and gate. */
static int green_wait(const sigset_t *set, siginfo_t *info, int64_t deadline)
{
    int saved = errno;
    siginfo_t mine;
    int r = gp__signal_wait(set, info ? info : &mine, deadline);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.sigtimedwait(set, info, timeout);
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return (int)gp_return(-EINVAL, errno);
    return green_wait(set, info,
                      timeout ? gp__deadline_after(gp__timespec_ns(timeout)) : GP_NO_DEADLINE);
}

GP_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.sigwaitinfo(set, info);
    return green_wait(set, info, GP_NO_DEADLINE);
}

GP_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.sigwait(set, sig);
    int saved = errno;
    siginfo_t info;
    int r;
    /* A handler's EINTR restarts the wait; pthread_cancel's ends it. */
    while ((r = gp__signal_wait(set, &info, GP_NO_DEADLINE)) == -EINTR && !gp__cancel_due())
        ;
    gp__cancel_point_after(r);
    if (r > 0)
        *sig = r;
    return gp_return_error(r > 0 ? 0 : r, saved);
}
