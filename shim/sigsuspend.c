/* Waiting for a signal handler without stalling the other green threads: the calling
 * green thread's mask is replaced for the wait (runtime/signals.h), and the wait ends,
 * always with EINTR, once a handler has run on that thread.
 * Interposes: sigsuspend, pause, and the sigpause family: __xpg_sigpause (X/Open, what
 * <signal.h> calls sigpause), __sigpause, and sigpause (BSD, a mask, for old binaries).
 * coverage cooperative: sigsuspend pause sigpause __sigpause __xpg_sigpause */
#include "shim.h"

#include "signals.h"

#include <signal.h>
#include <unistd.h>

GP_EXPORT int sigsuspend(const sigset_t *mask)
{
    if (!gp_green())
        return gp__real.sigsuspend(mask);
    int saved = errno;
    return (int)gp_return(gp__signal_suspend(mask), saved);
}

/* sigsuspend with the thread's own mask, less sig when sig > 0. */
static int suspend_unblocking(int sig)
{
    int saved = errno;
    sigset_t mask;
    gp__signal_mask(SIG_BLOCK, NULL, &mask);
    if (sig > 0 && sigdelset(&mask, sig) < 0)
        return -1; /* EINVAL, as glibc's */
    return (int)gp_return(gp__signal_suspend(&mask), saved);
}

GP_EXPORT int pause(void)
{
    if (!gp_green())
        return gp__real.pause();
    return suspend_unblocking(0);
}

GP_EXPORT int __xpg_sigpause(int sig)
{
    if (!gp_green())
        return gp__real.__xpg_sigpause(sig);
    return suspend_unblocking(sig);
}

/* The BSD mask: signal sig in bit sig - 1 (glibc's sigset_set_old_mask). */
static int suspend_bsd_mask(int mask)
{
    sigset_t set;
    sigemptyset(&set);
    gp__sigset_store(&set, (unsigned)mask);
    int saved = errno;
    return (int)gp_return(gp__signal_suspend(&set), saved);
}

int __sigpause(int sig_or_mask, int is_sig);
GP_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
    if (!gp_green())
        return gp__real.__sigpause(sig_or_mask, is_sig);
    return is_sig ? suspend_unblocking(sig_or_mask) : suspend_bsd_mask(sig_or_mask);
}

/* <signal.h> renames sigpause to __xpg_sigpause: this one is the BSD symbol itself. */
GP_EXPORT int gp_shim_bsd_sigpause(int mask) __asm__("sigpause");
int gp_shim_bsd_sigpause(int mask)
{
    if (!gp_green())
        return gp__real.sigpause(mask);
    return suspend_bsd_mask(mask);
}
