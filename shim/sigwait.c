/* Waiting for signals without stalling the other green threads (runtime/signals.h): a
 * signal pending for the calling thread or the process, one the shim kept or one pending
 * in the kernel, is taken at once; otherwise the thread waits on the hub until one comes.
 * A handler for another signal ends sigwaitinfo and sigtimedwait with EINTR (they are
 * never restarted, signal(7)); sigwait goes on waiting, as glibc's does.
 * Interposes: sigwait, sigwaitinfo, sigtimedwait.
 * coverage cooperative: sigwait sigwaitinfo sigtimedwait */
#include "shim.h"

#include "clock.h"
#include "signals.h"

#include <signal.h>

GP_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    if (!gp_green())
        return gp__real.sigtimedwait(set, info, timeout);
    int saved = errno;
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return (int)gp_return(-EINVAL, saved);
    siginfo_t mine;
    int64_t deadline = timeout ? gp__deadline_after(gp__timespec_ns(timeout)) : GP_NO_DEADLINE;
    return (int)gp_return(gp__signal_wait(set, info ? info : &mine, deadline), saved);
}

GP_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    if (!gp_green())
        return gp__real.sigwaitinfo(set, info);
    siginfo_t mine;
    int saved = errno;
    return (int)gp_return(gp__signal_wait(set, info ? info : &mine, GP_NO_DEADLINE), saved);
}

GP_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    if (!gp_green())
        return gp__real.sigwait(set, sig);
    int saved = errno;
    siginfo_t info;
    int r;
    while ((r = gp__signal_wait(set, &info, GP_NO_DEADLINE)) == -EINTR)
        ;
    if (r > 0)
        *sig = r;
    return gp_return_error(r > 0 ? 0 : r, saved);
}
