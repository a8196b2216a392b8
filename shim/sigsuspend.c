/* Waiting for a signal handler without stalling the other green threads: the calling
 * green thread's mask is replaced for the wait (runtime/signals.h), and the wait ends,
 * always with EINTR, once a handler has run on that thread. Each is a cancellation point.
 * Interposes: sigsuspend, pause, and the sigpause family: __xpg_sigpause (X/Open, what
 * <signal.h> calls sigpause), __sigpause, and sigpause (BSD, a mask, for old binaries).
 * coverage cooperative: sigsuspend pause sigpause __sigpause __xpg_sigpause */
#include "shim.h"

#include "cancel.h"
#include "signals.h"

#include <signal.h>
#include <unistd.h>

/* The wait of them all, after the cancellation point's entry and gate. */
static int green_suspend(const sigset_t *mask)
{
    int saved = errno;
    int r = gp__signal_suspend(mask);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int sigsuspend(const sigset_t *mask)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.sigsuspend(mask);
    return green_suspend(mask);
}

/* sigsuspend with the thread's own mask, less sig when sig > 0. */
static int suspend_unblocking(int sig)
{
    sigset_t mask;
    gp__signal_mask(SIG_BLOCK, NULL, &mask);
    if (sig > 0 && sigdelset(&mask, sig) < 0)
        return -1; /* EINVAL, as glibc's */
    return green_suspend(&mask);
}

GP_EXPORT int pause(void)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.pause();
    return suspend_unblocking(0);
}

GP_EXPORT int __xpg_sigpause(int sig)
{
    gp__cancel_point();
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
    return green_suspend(&set);
}

int __sigpause(int sig_or_mask, int is_sig);
GP_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.__sigpause(sig_or_mask, is_sig);
    return is_sig ? suspend_unblocking(sig_or_mask) : suspend_bsd_mask(sig_or_mask);
}

/* <signal.h> renames sigpause to __xpg_sigpause: this one is the BSD symbol itself. */
GP_EXPORT int gp_shim_bsd_sigpause(int mask) __asm__("sigpause");
int gp_shim_bsd_sigpause(int mask)
{
    gp__cancel_point();
    if (!gp_green())
        return gp__real.sigpause(mask);
    return suspend_bsd_mask(mask);
}
