/* See signal.h. */
#include "signals.h"

#include "guard.h"
#include "hub.h"
#include "list.h"
#include "real.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

/* The program's own action for each signal whose handler runs behind the trampoline.
 * Written by gp__signal_action, read by the trampoline. */
static struct sigaction program_action[NSIG];

/* Deliveries noted by the trampoline and not yet dispatched by the hub. */
static volatile sig_atomic_t pending;         /* a handler ran */
static volatile sig_atomic_t pending_restart; /* every such handler had SA_RESTART */
static volatile sig_atomic_t pending_on_green; /* it ran while a green thread was running */

/* Green threads in a wait a signal may end, oldest first. */
static struct gp_list interruptible = {&interruptible, &interruptible};

/* Synchronous signals come from the running code itself and never interrupt a wait; the
 * overflow report (guard.c) handles SIGSEGV. They are left alone. */
static bool wrappable(int sig)
{
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP: case SIGSYS:
    case SIGKILL: case SIGSTOP:
        return false;
    default:
        return sig > 0 && sig < NSIG;
    }
}

static bool has_handler(const struct sigaction *a)
{
    return (a->sa_flags & SA_SIGINFO) ||
           (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN);
}

static void trampoline(int sig, siginfo_t *info, void *uctx)
{
    struct sigaction a = program_action[sig];
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, info, uctx);
    else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN)
        a.sa_handler(sig);
    if (!gp__current)
        return; /* another OS thread took it, or there are no green threads yet */
    /* siginterrupt() changes SA_RESTART through glibc's internal sigaction, on the action
     * installed in the kernel (ours): that is the flag that counts. After SA_RESETHAND the
     * kernel holds the default again, and the program's own flags count. */
    struct sigaction installed;
    bool restart = a.sa_flags & SA_RESTART;
    if (gp__real.sigaction(sig, NULL, &installed) == 0 && installed.sa_sigaction == trampoline)
        restart = installed.sa_flags & SA_RESTART;
    if (!pending) {
        pending_restart = 1;
        pending_on_green = 0;
    }
    if (!restart)
        pending_restart = 0;
    pending = 1;
    /* On the hub the loop may be about to sleep: wake it. On a green thread, the hub looks
     * at what is pending before it next sleeps (and libev's write must not run on a green
     * thread, where it would enter the shim). */
    if (gp__current->is_hub)
        gp__hub_wake_from_signal();
    else
        pending_on_green = 1;
}

bool gp__signal_pending(void) { return pending; }

int gp__signal_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig == SIGSEGV && gp__guard_action(act, old))
        return 0;
    if (!wrappable(sig))
        return gp__real.sigaction(sig, act, old) == 0 ? 0 : -errno;
    struct sigaction installed;
    if (gp__real.sigaction(sig, NULL, &installed) < 0)
        return -errno;
    bool ours = (installed.sa_flags & SA_SIGINFO) && installed.sa_sigaction == trampoline;
    struct sigaction previous = ours ? program_action[sig] : installed;
    if (ours) {
        previous.sa_flags = (previous.sa_flags & ~SA_RESTART) | (installed.sa_flags & SA_RESTART);
    }
    if (act) {
        struct sigaction k = *act;
        if (has_handler(act)) {
            k.sa_sigaction = trampoline;
            k.sa_flags |= SA_SIGINFO;
        }
        /* The signal is held while the table and the kernel change together, so that its
         * trampoline never sees one without the other. */
        sigset_t hold, saved_mask;
        sigemptyset(&hold);
        sigaddset(&hold, sig);
        pthread_sigmask(SIG_BLOCK, &hold, &saved_mask);
        struct sigaction saved = program_action[sig];
        program_action[sig] = *act;
        int r = gp__real.sigaction(sig, &k, NULL) == 0 ? 0 : -errno;
        if (r < 0)
            program_action[sig] = saved;
        pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
        if (r < 0)
            return r;
    }
    if (old)
        *old = previous;
    return 0;
}

void gp__signal_enter_wait(struct gp_thread *t, enum gp_interrupt how)
{
    t->interrupt = how;
    if (how != GP_INTR_NEVER)
        gp__list_push_back(&interruptible, &t->intr_link);
}

void gp__signal_leave_wait(struct gp_thread *t)
{
    if (t->interrupt != GP_INTR_NEVER)
        gp__list_remove(&t->intr_link);
    t->interrupt = GP_INTR_NEVER;
}

/* The thread whose blocking call the kernel would have interrupted, if any. */
static struct gp_thread *target(bool on_green)
{
    struct gp_thread *main = gp__sched_main();
    if (main && main->state != GP_DEAD)
        return main->interrupt != GP_INTR_NEVER ? main : NULL;
    if (on_green || gp__list_empty(&interruptible))
        return NULL; /* a running thread took it */
    return GP_CONTAINER_OF(interruptible.next, struct gp_thread, intr_link);
}

void gp__signal_dispatch(void)
{
    if (!pending)
        return;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    bool restart = pending_restart, on_green = pending_on_green;
    pending = 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    struct gp_thread *t = target(on_green);
    if (t && (t->interrupt == GP_INTR_ALWAYS || !restart))
        gp__sched_unpark(t, GP_WAKE_INTERRUPT);
}
