/* Signal masks, one per green thread (runtime/signals.h): in a threaded program
 * sigprocmask acts on the calling thread, as pthread_sigmask does; the BSD (sigvec(3))
 * and System V (sigset(3)) mask calls are rebuilt here on the same mask, since glibc's
 * call its internal sigprocmask, which no interposer sees.
 * Interposes: pthread_sigmask, sigprocmask, sigpending, sigblock, sigsetmask, siggetmask,
 * sighold, sigrelse. */
#include "shim.h"

#include "signals.h"

#include <signal.h>

GP_EXPORT_VERSIONS(pthread_sigmask, "GLIBC_2.32", "GLIBC_2.2.5")
int gp_shim_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!gp_green())
        return gp__real.pthread_sigmask(how, set, old);
    int saved = errno;
    return gp_return_error(gp__signal_mask(how, set, old), saved);
}

GP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!gp_green())
        return gp__real.sigprocmask(how, set, old);
    int saved = errno;
    return (int)gp_return(gp__signal_mask(how, set, old), saved);
}

GP_EXPORT int sigpending(sigset_t *set)
{
    if (!gp_green())
        return gp__real.sigpending(set);
    gp__signal_pending_set(set);
    return 0;
}

/* The BSD masks are ints with signal sig in bit sig - 1 (glibc's sigset_set_old_mask and
 * sigset_get_old_mask). */
static int bsd_mask_change(int how, int mask)
{
    sigset_t set, old;
    sigemptyset(&set);
    gp__sigset_store(&set, (unsigned)mask);
    int saved = errno;
    gp__signal_mask(how, &set, &old);
    errno = saved;
    return (int)(unsigned)gp__sigset_bits(&old);
}

GP_EXPORT int sigblock(int mask)
{
    if (!gp_green())
        return gp__real.sigblock(mask);
    return bsd_mask_change(SIG_BLOCK, mask);
}

GP_EXPORT int sigsetmask(int mask)
{
    if (!gp_green())
        return gp__real.sigsetmask(mask);
    return bsd_mask_change(SIG_SETMASK, mask);
}

GP_EXPORT int siggetmask(void)
{
    if (!gp_green())
        return gp__real.siggetmask();
    return bsd_mask_change(SIG_BLOCK, 0);
}

static int one_signal_change(int how, int sig)
{
    sigset_t set;
    sigemptyset(&set);
    int saved = errno;
    if (sigaddset(&set, sig) < 0)
        return -1; /* EINVAL, as glibc's */
    return (int)gp_return(gp__signal_mask(how, &set, NULL), saved);
}

GP_EXPORT int sighold(int sig)
{
    if (!gp_green())
        return gp__real.sighold(sig);
    return one_signal_change(SIG_BLOCK, sig);
}

GP_EXPORT int sigrelse(int sig)
{
    if (!gp_green())
        return gp__real.sigrelse(sig);
    return one_signal_change(SIG_UNBLOCK, sig);
}
