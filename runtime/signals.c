/* See signals.h.
 *
 * Where a handler runs. The kernel runs a handler on the thread it delivers the signal to,
 * in that thread's context, so a handler may siglongjmp back into that thread's frames.
 * Under the shim the signal reaches the one OS thread while some fiber (a green thread or
 * the hub) is running. When the thread the kernel would have chosen is the running one,
 * the handler runs at once. When it is a green thread parked in a wait that a handler
 * ends, the handler is deferred: the thread is woken, runs the handler on its own fiber,
 * and its call then fails with EINTR or restarts, as the kernel would have done. Otherwise
 * (the chosen thread waits on a mutex or a join, where no handler ends the wait, or is
 * runnable) the handler runs at once on the current fiber. */
#include "signals.h"

#include "guard.h"
#include "hub.h"
#include "list.h"
#include "real.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

/* The program's own action for each signal whose handler runs behind the trampoline.
 * Written by gp__signal_action, read by the trampoline. */
static struct sigaction program_action[NSIG];

/* Signals delivered for a green thread that was waiting, and not yet handled by it. As in
 * the kernel, a standard signal pending for a thread coalesces; real-time ones queue. The
 * pool is touched with every signal blocked (the trampoline runs on this same OS thread). */
enum { DEFERRED_MAX = 64 };
static struct deferred {
    struct gp_thread *target;  /* NULL: free; TARGET_ANY: the first waiting thread */
    int sig;
    bool restart;              /* SA_RESTART was set at delivery */
    struct sigaction action;   /* the program's action at delivery */
    siginfo_t info;
} deferred[DEFERRED_MAX];
static volatile sig_atomic_t deferred_pending; /* some entry awaits the hub */

#define TARGET_ANY ((struct gp_thread *)1)

/* pthread_kill's target for a signal it is about to send to the shared OS thread. */
static struct gp_thread *kill_target[NSIG];

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

/* sa_handler and sa_sigaction share storage: SIG_DFL and SIG_IGN are no handler whatever
 * the flags say (a saved action may carry SA_SIGINFO with SIG_DFL). */
static bool has_handler(const struct sigaction *a)
{
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

static void run_handler(int sig, const struct sigaction *a, siginfo_t *info, void *uctx)
{
    if (!has_handler(a))
        return;
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, info, uctx);
    else
        a->sa_handler(sig);
}

static void trampoline(int sig, siginfo_t *info, void *uctx);

/* Handlers running where the signal interrupted this OS thread, which may be anywhere. A
 * handler that leaves by siglongjmp leaves this raised: then only the slower wakes are
 * used from then on, which are right anywhere. */
static __thread volatile sig_atomic_t at_once_depth;

static void run_at_once(int sig, const struct sigaction *a, siginfo_t *info, void *uctx)
{
    at_once_depth++;
    run_handler(sig, a, info, uctx);
    at_once_depth--;
}

bool gp__signal_in_handler(void) { return at_once_depth > 0; }

/* The handler's SA_RESTART as the kernel sees it at delivery. siginterrupt() changes it
 * through glibc's internal sigaction, on the action installed in the kernel (ours); after
 * SA_RESETHAND the kernel holds the default again, and the program's own flags count. */
static bool restarts(int sig, const struct sigaction *program)
{
    struct sigaction installed;
    if (gp__real.sigaction(sig, NULL, &installed) == 0 && installed.sa_sigaction == trampoline)
        return installed.sa_flags & SA_RESTART;
    return program->sa_flags & SA_RESTART;
}

/* The thread the kernel would have given the signal to: the one pthread_kill or
 * pthread_sigqueue named (sent to this process's own OS thread: SI_TKILL or SI_QUEUE); the
 * running thread for other thread-directed signals (raise, SIGPIPE); for process-directed
 * ones the main thread unless it is gone (kernel/signal.c, complete_signal), then the
 * running thread, or when the OS thread was idle in the hub, some waiting thread. */
static struct gp_thread *target_of(int sig, const siginfo_t *info, struct gp_thread *running)
{
    if ((info->si_code == SI_TKILL || info->si_code == SI_QUEUE) && info->si_pid == getpid()) {
        struct gp_thread *named = __atomic_exchange_n(&kill_target[sig], NULL, __ATOMIC_ACQ_REL);
        if (named)
            return named;
    }
    struct gp_thread *main = gp__sched_main();
    bool to_running = info->si_code == SI_TKILL || sig == SIGPIPE;
    if (!running->is_hub && (to_running || !main || main->state == GP_DEAD))
        return running;
    if (main && main->state != GP_DEAD)
        return main;
    return TARGET_ANY;
}

static void block_all(sigset_t *saved)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, saved);
}

/* Queues the signal for t. Returns false when the pool is full. */
static bool defer(struct gp_thread *t, int sig, bool restart, const struct sigaction *a,
                  const siginfo_t *info)
{
    struct deferred *free_slot = NULL;
    for (int i = 0; i < DEFERRED_MAX; i++) {
        struct deferred *d = &deferred[i];
        if (!d->target) {
            if (!free_slot)
                free_slot = d;
        } else if (d->target == t && d->sig == sig && sig < SIGRTMIN) {
            return true; /* a standard signal already pending for t: they coalesce */
        }
    }
    if (!free_slot)
        return false;
    *free_slot = (struct deferred){.target = t, .sig = sig, .restart = restart, .action = *a,
                                   .info = *info};
    if (t != TARGET_ANY)
        t->deferred_signals++;
    deferred_pending = 1;
    return true;
}

static void trampoline(int sig, siginfo_t *info, void *uctx)
{
    struct gp_thread *running = gp__current;
    struct sigaction a = program_action[sig];
    if (!running) {
        /* No green threads yet, or another OS thread took it. */
        run_at_once(sig, &a, info, uctx);
        return;
    }
    bool restart = restarts(sig, &a);
    struct gp_thread *t = target_of(sig, info, running);
    /* A thread in an interruptible wait (also while it sets the wait up or takes it down,
     * when it is the running one) runs the handler itself, at the end of that wait. */
    bool waiting = t == TARGET_ANY || t->interrupt != GP_INTR_NEVER;
    bool deferred_ok = false;
    if (waiting && has_handler(&a)) {
        sigset_t saved;
        block_all(&saved);
        deferred_ok = defer(t, sig, restart, &a, info);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
    }
    if (!deferred_ok) {
        run_at_once(sig, &a, info, uctx);
        return;
    }
    /* On the hub the loop may be about to sleep: wake it. (On a green thread the hub looks
     * at what is pending before it next sleeps; and libev's write must not run on a green
     * thread, where it would enter the shim.) */
    if (running->is_hub)
        gp__hub_wake_from_signal();
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
    if (ours)
        previous.sa_flags = (previous.sa_flags & ~SA_RESTART) | (installed.sa_flags & SA_RESTART);
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

/* What pthread_kill and pthread_sigqueue share before sending: true when sig is to be sent
 * (the target noted), else *r is the call's result. */
static bool aim(struct gp_thread *t, int sig, int *r)
{
    *r = sig < 0 || sig >= NSIG ? -EINVAL : 0;
    if (sig <= 0 || sig >= NSIG)
        return false;
    /* Only a signal that reaches the trampoline consumes the note. */
    if (wrappable(sig) && has_handler(&program_action[sig]))
        __atomic_store_n(&kill_target[sig], t, __ATOMIC_RELEASE);
    return true;
}

int gp__signal_send(struct gp_thread *t, pthread_t os_thread, int sig)
{
    if (t->state == GP_DEAD)
        return sig < 0 || sig >= NSIG ? -EINVAL : 0; /* glibc: an exited thread takes none */
    int r;
    return aim(t, sig, &r) ? -gp__real.pthread_kill(os_thread, sig) : r;
}

int gp__signal_queue(struct gp_thread *t, pthread_t os_thread, int sig, const union sigval value)
{
    if (t->state == GP_DEAD)
        return -ESRCH; /* glibc's pthread_sigqueue: the thread's kernel task is gone */
    int r;
    return aim(t, sig, &r) ? -gp__real.pthread_sigqueue(os_thread, sig, value) : r;
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

bool gp__signal_pending(void) { return deferred_pending; }

/* Runs a handler outside the kernel's delivery, with what the kernel would have set up:
 * its mask (and the signal itself unless SA_NODEFER) blocked, and a context. Only what the
 * handler blocked is unblocked afterwards: other threads may have changed the mask while
 * it ran. */
static void run_handler_now(int sig, const struct sigaction *a, siginfo_t *info)
{
    sigset_t during = a->sa_mask, before, added;
    if (!(a->sa_flags & SA_NODEFER))
        sigaddset(&during, sig);
    pthread_sigmask(SIG_BLOCK, &during, &before);
    ucontext_t context;
    getcontext(&context);
    context.uc_sigmask = before;
    run_handler(sig, a, info, &context);
    sigemptyset(&added);
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&during, s) && !sigismember(&before, s))
            sigaddset(&added, s);
    pthread_sigmask(SIG_UNBLOCK, &added, NULL);
}

void gp__signal_dispatch(void)
{
    if (!deferred_pending)
        return;
    sigset_t saved;
    block_all(&saved);
    deferred_pending = 0;
    struct deferred orphans[DEFERRED_MAX];
    int n_orphans = 0;
    for (int i = 0; i < DEFERRED_MAX; i++) {
        struct deferred *d = &deferred[i];
        if (d->target == TARGET_ANY) {
            if (gp__list_empty(&interruptible)) {
                orphans[n_orphans++] = *d; /* nobody waits: run it here */
                d->target = NULL;
                continue;
            }
            d->target = GP_CONTAINER_OF(interruptible.next, struct gp_thread, intr_link);
            d->target->deferred_signals++;
        }
        struct gp_thread *t = d->target;
        if (t && t->state == GP_PARKED && t->interrupt != GP_INTR_NEVER)
            gp__sched_unpark(t, GP_WAKE_INTERRUPT);
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    for (int i = 0; i < n_orphans; i++)
        run_handler_now(orphans[i].sig, &orphans[i].action, &orphans[i].info);
}

bool gp__signal_has_deferred(const struct gp_thread *t) { return t->deferred_signals > 0; }

enum gp_handlers_ran gp__signal_run_deferred(struct gp_thread *t)
{
    struct deferred mine[DEFERRED_MAX];
    int n = 0;
    sigset_t saved;
    block_all(&saved);
    for (int i = 0; i < DEFERRED_MAX; i++) {
        if (deferred[i].target == t) {
            mine[n++] = deferred[i];
            deferred[i].target = NULL;
        }
    }
    t->deferred_signals = 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    enum gp_handlers_ran ran = GP_HANDLERS_NONE;
    for (int i = 0; i < n; i++) {
        /* Ignoring a signal discards it while it is pending (POSIX): no handler, and the
         * call goes on as if it had not come. */
        if (!has_handler(&program_action[mine[i].sig]))
            continue;
        if (!mine[i].restart)
            ran = GP_HANDLERS_INTERRUPT;
        else if (ran == GP_HANDLERS_NONE)
            ran = GP_HANDLERS_RESTART;
        run_handler_now(mine[i].sig, &mine[i].action, &mine[i].info);
    }
    return ran;
}

void gp__signal_forget_thread(struct gp_thread *t)
{
    sigset_t saved;
    block_all(&saved);
    for (int i = 0; i < DEFERRED_MAX; i++)
        if (deferred[i].target == t)
            deferred[i].target = NULL;
    for (int sig = 1; sig < NSIG; sig++)
        if (kill_target[sig] == t)
            kill_target[sig] = NULL;
    t->deferred_signals = 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

void gp__signal_after_fork(void)
{
    gp__list_init(&interruptible);
    memset(deferred, 0, sizeof deferred);
    memset(kill_target, 0, sizeof kill_target);
    deferred_pending = 0;
}
