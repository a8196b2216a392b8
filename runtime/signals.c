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

/* Deliveries noted by the trampoline and not yet dispatched by the hub. A signal for the
 * main thread names the wait it interrupted, so that a wait begun after the handler ran is
 * never ended by it. */
static volatile sig_atomic_t main_pending;  /* main's wait number main_wait_seq was hit */
static volatile sig_atomic_t main_wait_seq;
static volatile sig_atomic_t main_restart;  /* every handler that hit it had SA_RESTART */
static volatile sig_atomic_t any_pending;   /* main is gone: some waiting thread was hit */
static volatile sig_atomic_t any_restart;

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

/* The handler's SA_RESTART. siginterrupt() changes it through glibc's internal sigaction,
 * on the action installed in the kernel (ours): that is the flag that counts. After
 * SA_RESETHAND the kernel holds the default again, and the program's own flags count. */
static bool restarts(int sig, const struct sigaction *program);

/* Notes which wait the kernel would have interrupted. Linux gives a process-directed
 * signal to the main thread unless it blocks it (kernel/signal.c, complete_signal), and a
 * thread-directed one (raise, pthread_kill, SIGPIPE) to the thread that was running. */
static void note_delivery(int sig, const siginfo_t *info, struct gp_thread *running, bool restart)
{
    bool to_running = info->si_code == SI_TKILL || sig == SIGPIPE;
    if (to_running && !running->is_hub)
        return; /* the running thread took it: it was not waiting */
    struct gp_thread *main = gp__sched_main();
    if (main && main->state != GP_DEAD) {
        if (main == running || main->interrupt == GP_INTR_NEVER)
            return; /* main took it, in no wait that a handler ends */
        if (!main_pending || main_wait_seq != main->wait_seq) {
            main_wait_seq = main->wait_seq;
            main_restart = 1;
        }
        main_restart &= restart;
        main_pending = 1;
    } else {
        if (!running->is_hub)
            return; /* main is gone, and the running thread took it */
        any_restart = any_pending ? any_restart & restart : restart;
        any_pending = 1;
    }
    /* On the hub the loop may be about to sleep: wake it. (On a green thread, the hub
     * looks at what is pending before it next sleeps; and libev's write must not run on a
     * green thread, where it would enter the shim.) */
    if (running->is_hub)
        gp__hub_wake_from_signal();
}

static void trampoline(int sig, siginfo_t *info, void *uctx)
{
    struct gp_thread *running = gp__current;
    struct sigaction a = program_action[sig];
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, info, uctx);
    else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN)
        a.sa_handler(sig);
    /* No green threads yet, or another OS thread took it: no green wait was hit. */
    if (running)
        note_delivery(sig, info, running, restarts(sig, &a));
}

static bool restarts(int sig, const struct sigaction *program)
{
    struct sigaction installed;
    if (gp__real.sigaction(sig, NULL, &installed) == 0 && installed.sa_sigaction == trampoline)
        return installed.sa_flags & SA_RESTART;
    return program->sa_flags & SA_RESTART;
}

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
    if (how != GP_INTR_NEVER) {
        t->wait_seq++;
        gp__list_push_back(&interruptible, &t->intr_link);
    }
}

void gp__signal_leave_wait(struct gp_thread *t)
{
    if (t->interrupt != GP_INTR_NEVER)
        gp__list_remove(&t->intr_link);
    t->interrupt = GP_INTR_NEVER;
}

bool gp__signal_pending(void) { return main_pending || any_pending; }

static void interrupt(struct gp_thread *t, bool restart)
{
    if (t->interrupt == GP_INTR_ALWAYS || (t->interrupt == GP_INTR_UNLESS_RESTART && !restart))
        gp__sched_unpark(t, GP_WAKE_INTERRUPT);
}

void gp__signal_dispatch(void)
{
    if (!gp__signal_pending())
        return;
    /* Take what the trampoline noted with signals held, so that no note is half read. */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    bool for_main = main_pending, main_restarts = main_restart, for_any = any_pending,
         any_restarts = any_restart;
    int seq = main_wait_seq;
    main_pending = any_pending = 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    struct gp_thread *main = gp__sched_main();
    if (for_main && main && main->wait_seq == seq)
        interrupt(main, main_restarts);
    if (for_any && !gp__list_empty(&interruptible))
        interrupt(GP_CONTAINER_OF(interruptible.next, struct gp_thread, intr_link), any_restarts);
}

void gp__signal_after_fork(void)
{
    gp__list_init(&interruptible);
    main_pending = any_pending = 0;
}
