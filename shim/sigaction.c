/* Signal handlers: the program's handlers run behind the shim's trampoline, so that a
 * handler ends a green thread's wait with EINTR as it would end a blocked system call
 * (runtime/signals.h). The program sees its own actions, as it set them.
 * Interposes: sigaction, signal, bsd_signal, sysv_signal, __sysv_signal, sigset, sigignore. */
#include "shim.h"

#include "config.h"
#include "signals.h"

#include <signal.h>

/* Handlers are wrapped from the start, before any green thread exists, so that those
 * installed early still interrupt waits later; GREENPATCH_DISABLE=1 leaves them alone. */
static bool wrap_handlers(void) { return gp__init() && !gp__config.disabled; }

GP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!wrap_handlers())
        return gp__real.sigaction(sig, act, old);
    int saved = errno;
    return (int)gp_return(gp__signal_action(sig, act, old), saved);
}

/* glibc's signal() and sysv_signal() call its internal sigaction, which no interposer
 * sees: they are rebuilt here with the same flags (glibc signal/signal.c, sysv_signal.c). */
static __sighandler_t set_handler(int sig, __sighandler_t handler, int flags, bool mask_self)
{
    int saved = errno;
    if (handler == SIG_ERR || sig < 1 || sig >= NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    struct sigaction act = {.sa_handler = handler, .sa_flags = flags}, old;
    sigemptyset(&act.sa_mask);
    if (mask_self)
        sigaddset(&act.sa_mask, sig);
    int r = gp__signal_action(sig, &act, &old);
    if (r < 0) {
        errno = -r;
        return SIG_ERR;
    }
    errno = saved;
    return old.sa_handler;
}

/* BSD semantics: the handler stays installed, interrupted calls restart. (glibc leaves
 * SA_RESTART out for signals named in siginterrupt(), a set the shim cannot see.) */
GP_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
    if (!wrap_handlers())
        return gp__real.signal(sig, handler);
    return set_handler(sig, handler, SA_RESTART, true);
}

GP_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
    if (!wrap_handlers())
        return gp__real.bsd_signal(sig, handler);
    return set_handler(sig, handler, SA_RESTART, true);
}

/* System V semantics: one shot, not masked during the handler, calls not restarted. A
 * strict ISO C program (-std=c11) that calls signal() gets this one, under the name
 * __sysv_signal. */
GP_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
    if (!wrap_handlers())
        return gp__real.sysv_signal(sig, handler);
    return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER, false);
}

GP_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t handler)
{
    return sysv_signal(sig, handler);
}

/* System V's sigset (glibc sysdeps/posix/sigset.c): SIG_HOLD blocks the signal; any other
 * disposition is installed (no mask, no flags) and the signal unblocked. Returns SIG_HOLD
 * when the signal was blocked before, else the previous disposition. */
GP_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
    if (!wrap_handlers())
        return gp__real.sigset(sig, disp);
    int saved = errno;
    sigset_t one, old;
    sigemptyset(&one);
    if (sigaddset(&one, sig) < 0)
        return SIG_ERR;
    struct sigaction act = {.sa_handler = disp}, previous;
    sigemptyset(&act.sa_mask);
    bool hold = disp == SIG_HOLD;
    int r = gp__signal_action(sig, hold ? NULL : &act, &previous);
    if (r == 0)
        r = -gp_shim_pthread_sigmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &one, &old);
    if (r < 0) {
        errno = -r;
        return SIG_ERR;
    }
    errno = saved;
    return sigismember(&old, sig) ? SIG_HOLD : previous.sa_handler;
}

GP_EXPORT int sigignore(int sig)
{
    if (!wrap_handlers())
        return gp__real.sigignore(sig);
    struct sigaction act = {.sa_handler = SIG_IGN};
    sigemptyset(&act.sa_mask);
    int saved = errno;
    return (int)gp_return(gp__signal_action(sig, &act, NULL), saved);
}
