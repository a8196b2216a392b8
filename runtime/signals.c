/* See signals.h.
 *
 * Where a handler runs. The kernel runs a handler on the thread it delivers the signal to,
 * in that thread's context, so a handler may siglongjmp back into that thread's frames.
 * Under the shim the signal reaches the one OS thread while some fiber (a green thread or
 * the hub) is running. When the thread the kernel would have chosen is the running one and
 * it is not in a wait, the handler runs at once, in the trampoline. Otherwise the signal
 * becomes an entry of the pool below: deferred to its thread, which is woken and runs the
 * handler on its own fiber (a wait that a handler ends then fails with EINTR or restarts,
 * as the kernel would have done; any other wait goes on), or pending while nobody takes
 * it. The trampoline only records; the hub (gp__signal_dispatch) routes and wakes, outside
 * any signal context.
 *
 * The pool is touched with every signal blocked: the trampoline runs on this same OS
 * thread and may interrupt any code that touches it. */
#include "signals.h"

#include "cancel.h"
#include "clock.h"
#include "config.h"
#include "guard.h"
#include "hub.h"
#include "list.h"
#include "log.h"
#include "real.h"
#include "timeout.h"
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <ucontext.h>
#include <unistd.h>

/* The program's own action for each signal whose handler runs behind the trampoline.
 * Written by gp__signal_action, read by the trampoline. */
static struct sigaction program_action[NSIG];

/* Signals no mask holds: SIGKILL and SIGSTOP (the kernel drops them from every mask), and
 * glibc's two internal ones, SIGCANCEL (32) and SIGSETXID (33), which its pthread_sigmask
 * drops. */
#define UNBLOCKABLE (gp__sigbit(SIGKILL) | gp__sigbit(SIGSTOP) | gp__sigbit(32) | gp__sigbit(33))

/* A signal that came and is not handled yet. As in the kernel, a standard signal pending
 * for a thread coalesces; real-time ones queue. */
enum { POOL_MAX = 64 };
enum entry_state {
    FREE,
    DELIVER, /* its handler is due on target (ANY: not chosen yet) */
    PENDING, /* target (PROCESS: the process) blocked it when it came */
};
static struct entry {
    enum entry_state state;
    struct gp_thread *target;
    int sig;
    bool restart;            /* DELIVER: SA_RESTART was set at delivery */
    struct sigaction action; /* DELIVER: the program's action at delivery */
    siginfo_t info;
} pool[POOL_MAX];
/* Targets that are no thread: not chosen yet, and the process. */
static struct gp_thread any_target, process_target;
#define ANY (&any_target)
#define PROCESS (&process_target)

volatile sig_atomic_t gp__signal_routing_needed; /* the hub has entries to route */
static uint64_t process_pending;             /* the signals of the PENDING entries for PROCESS */

/* pthread_kill's target for a signal that an OS thread the scheduler does not run is about
 * to send to the shared OS thread. */
static struct gp_thread *kill_target[NSIG];

/* Green threads in a wait a signal may end, oldest first. */
static struct gp_list interruptible = {&interruptible, &interruptible};

/* Every live green thread, and for each signal how many of them block it: the hub's mask is
 * the signals that all of them block. */
static struct gp_list threads = {&threads, &threads};
static int n_threads;
static int blocking[NSIG];
static struct gp_thread *hub_thread;
/* The trampoline changed a thread's mask without counting it (a handler that ran at once
 * returned to a mask other than the counted one): recount before the next use. */
static volatile sig_atomic_t counts_stale;
/* The running thread is inside this file's unprotected updates (masks, counts, the list of
 * waiting threads): a signal that comes is deferred to it rather than run in the middle,
 * where its handler could make the same updates. */
static volatile sig_atomic_t busy;

uint64_t gp__signal_real_mask;
__thread bool gp__signal_vfork_child;

/* A switch is changing the real mask (gp__signal_switch_mask): a signal aimed at the OS
 * thread that was pending under the old mask was raised by the thread switched from. */
static struct {
    volatile sig_atomic_t active;
    struct gp_thread *from;
    uint64_t old_mask;
} switching;

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

/* Handlers running where the signal interrupted this OS thread, which may be anywhere. A
 * handler that leaves by siglongjmp leaves this raised: then only the slower wakes are
 * used from then on, which are right anywhere. */
__thread volatile sig_atomic_t gp__signal_at_once_depth;

static void run_at_once(int sig, const struct sigaction *a, siginfo_t *info, void *uctx)
{
    gp__signal_at_once_depth++;
    run_handler(sig, a, info, uctx);
    gp__signal_at_once_depth--;
}

/* What a handler adds to its thread's mask while it runs. */
static uint64_t handler_mask(int sig, const struct sigaction *a)
{
    uint64_t m = gp__sigset_bits(&a->sa_mask);
    if (!(a->sa_flags & SA_NODEFER))
        m |= gp__sigbit(sig);
    return m & ~UNBLOCKABLE;
}

static bool takes(const struct gp_thread *t, int sig)
{
    uint64_t bit = gp__sigbit(sig);
    return !(t->sig_blocked & bit) || (t->sig_waiting & bit);
}

static void trampoline(int sig, siginfo_t *info, void *uctx);

/* The kernel's action for sig: the trampoline (the program's handler), SIG_IGN, SIG_DFL
 * or a handler installed around the trampoline (a synchronous signal's). siginterrupt()
 * changes SA_RESTART through glibc's internal sigaction, on the action installed in the
 * kernel (ours); after SA_RESETHAND the kernel holds the default again. */
static struct sigaction installed_action(int sig)
{
    struct sigaction installed = {.sa_handler = SIG_DFL};
    gp__real.sigaction(sig, NULL, &installed);
    return installed;
}

static bool is_trampoline(const struct sigaction *a)
{
    return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == trampoline;
}

/* SA_RESTART as the kernel sees it at delivery. */
static bool restarts(int sig, const struct sigaction *program)
{
    struct sigaction installed = installed_action(sig);
    if (is_trampoline(&installed))
        return installed.sa_flags & SA_RESTART;
    return program->sa_flags & SA_RESTART;
}

static void block_all(sigset_t *saved)
{
    sigset_t all;
    sigfillset(&all);
    gp__real.pthread_sigmask(SIG_BLOCK, &all, saved);
}

static void unblock_saved(const sigset_t *saved)
{
    gp__real.pthread_sigmask(SIG_SETMASK, saved, NULL);
}

static void set_real_mask(uint64_t bits)
{
    sigset_t s;
    sigemptyset(&s);
    /* The blocking detector's signal and the thread dump's must reach the OS thread
     * whatever the running thread blocks (watchdog.h, inspect.h); the thread's own mask
     * still says what the program set. */
    if (gp__watchdog_signal)
        bits &= ~gp__sigbit(gp__watchdog_signal);
    if (gp__config.dump_signal)
        bits &= ~gp__sigbit(gp__config.dump_signal);
    gp__sigset_store(&s, bits);
    gp__real.pthread_sigmask(SIG_SETMASK, &s, NULL);
}

/* ---- the hub's mask ---- */

static void count_mask(uint64_t bits, int delta)
{
    for (; bits; bits &= bits - 1)
        blocking[__builtin_ctzll(bits) + 1] += delta;
}

static void recompute_hub_mask(void)
{
    uint64_t all = 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (blocking[sig] == n_threads)
            all |= gp__sigbit(sig);
    hub_thread->sig_blocked = all;
}

static void count_thread(struct gp_thread *t, uint64_t bits)
{
    count_mask(t->sig_counted, -1);
    count_mask(bits, 1);
    t->sig_counted = bits;
}

static void recount_stale(void)
{
    counts_stale = 0;
    for (struct gp_list *l = threads.next; l != &threads; l = l->next) {
        struct gp_thread *t = GP_CONTAINER_OF(l, struct gp_thread, sig_link);
        if (t->sig_counted != t->sig_blocked)
            count_thread(t, t->sig_blocked);
    }
    recompute_hub_mask();
}

static void apply_real_mask(uint64_t bits)
{
    if (gp__signal_real_mask == bits)
        return;
    gp__signal_real_mask = bits;
    set_real_mask(bits);
}

void gp__signal_switch_mask(struct gp_thread *from, uint64_t mask)
{
    switching.from = from && !from->is_hub ? from : NULL;
    switching.old_mask = gp__signal_real_mask;
    switching.active = 1;
    /* Pending signals the new mask lets through are delivered before this returns. */
    apply_real_mask(mask);
    switching.active = 0;
}

/* ---- the pool ---- */

static void account(struct entry *e, int delta)
{
    if (e->state == DELIVER && e->target != ANY)
        e->target->deferred_signals += delta;
}

/* Recomputes the pending bit of sig for target (a thread or PROCESS). */
static void recompute_pending_bit(struct gp_thread *target, int sig)
{
    uint64_t bit = gp__sigbit(sig);
    bool any = false;
    for (int i = 0; i < POOL_MAX && !any; i++)
        any = pool[i].state == PENDING && pool[i].target == target && pool[i].sig == sig;
    uint64_t *bits = target == PROCESS ? &process_pending : &target->sig_pending;
    *bits = any ? *bits | bit : *bits & ~bit;
}

/* Moves e to state and target, keeping the counts and pending bits. */
static void entry_move(struct entry *e, enum entry_state state, struct gp_thread *target)
{
    enum entry_state old_state = e->state;
    struct gp_thread *old_target = e->target;
    account(e, -1);
    e->state = state;
    e->target = target;
    account(e, 1);
    if (old_state == PENDING)
        recompute_pending_bit(old_target, e->sig);
    if (state == PENDING)
        recompute_pending_bit(target, e->sig);
}

/* Adds an entry; returns false when the pool is full. A standard signal already pending
 * (or due) for the same target coalesces with it. */
static bool add_entry(enum entry_state state, struct gp_thread *target, int sig,
                      const siginfo_t *info, const struct sigaction *action, bool restart)
{
    struct entry *free_slot = NULL;
    for (int i = 0; i < POOL_MAX; i++) {
        struct entry *e = &pool[i];
        if (e->state == FREE) {
            if (!free_slot)
                free_slot = e;
        } else if (e->state == state && e->target == target && e->sig == sig && sig < SIGRTMIN) {
            return true;
        }
    }
    if (!free_slot)
        return false;
    *free_slot = (struct entry){.sig = sig, .info = *info, .restart = restart};
    if (action)
        free_slot->action = *action;
    entry_move(free_slot, state, target);
    gp__signal_routing_needed = 1;
    return true;
}

/* The entry of the lowest signal of set pending for target, or NULL. */
static struct entry *pending_entry(struct gp_thread *target, uint64_t set)
{
    struct entry *best = NULL;
    for (int i = 0; i < POOL_MAX; i++) {
        struct entry *e = &pool[i];
        if (e->state == PENDING && e->target == target && (set & gp__sigbit(e->sig)) &&
            (!best || e->sig < best->sig))
            best = e;
    }
    return best;
}

/* ---- where a signal goes ---- */

/* The thread the kernel would have given the signal to, before the hub can look at every
 * thread: the one pthread_kill or pthread_sigqueue named; for a signal aimed at the OS thread (raise, SIGPIPE),
 * the thread that ran when it was raised; for others the main thread, or the running
 * thread, if it takes the signal (kernel/signal.c, complete_signal); else ANY. */
static struct gp_thread *target_of(int sig, const siginfo_t *info, struct gp_thread *running,
                                   bool running_takes)
{
    bool ours = info->si_pid == getpid();
    if ((info->si_code == SI_TKILL || info->si_code == SI_QUEUE) && ours) {
        struct gp_thread *named = __atomic_exchange_n(&kill_target[sig], NULL, __ATOMIC_ACQ_REL);
        if (named)
            return named;
    }
    struct gp_thread *main = gp__sched_main();
    bool main_alive = main && main->state != GP_DEAD;
    if ((info->si_code == SI_TKILL && ours) || sig == SIGPIPE) {
        /* Pending while the thread that raised it blocked it, and let through by a switch:
         * it is still that thread's. */
        if (switching.active && (switching.old_mask & gp__sigbit(sig)))
            return switching.from ? switching.from : PROCESS;
        if (!running->is_hub)
            return running;
    } else if (info->si_code == SI_TKILL && main_alive) {
        return main; /* another process's tgkill names the OS thread, whose TID is main's */
    }
    if (main_alive && (main == running ? running_takes : takes(main, sig)))
        return main;
    if (!running->is_hub && running_takes)
        return running;
    return ANY;
}

/* Any thread that takes the signal, as the kernel would choose among them: main first,
 * then one waiting in an interruptible call, then any other. */
static struct gp_thread *taker_of(int sig)
{
    struct gp_thread *main = gp__sched_main();
    if (main && main->state != GP_DEAD && takes(main, sig))
        return main;
    for (struct gp_list *l = interruptible.next; l != &interruptible; l = l->next) {
        struct gp_thread *t = GP_CONTAINER_OF(l, struct gp_thread, intr_link);
        if (takes(t, sig))
            return t;
    }
    for (struct gp_list *l = threads.next; l != &threads; l = l->next) {
        struct gp_thread *t = GP_CONTAINER_OF(l, struct gp_thread, sig_link);
        if (takes(t, sig))
            return t;
    }
    return NULL;
}

/* A handler that runs in the trampoline, on the running thread: the kernel has added the
 * handler's mask to the real one, and the running thread's mask says so too. The mask
 * afterwards is the one the handler returns with (its ucontext's, which sigreturn
 * restores); a siglongjmp out of the handler sets its own. Inside a system call that set
 * a mask of its own (swapped), the kernel restores the real mask when that call returns:
 * the shim's record of it stays. */
static void run_in_trampoline(struct gp_thread *t, int sig, const struct sigaction *a,
                              siginfo_t *info, ucontext_t *uc, bool swapped)
{
    uint64_t before = t->sig_blocked, entry = gp__sigset_bits(&uc->uc_sigmask);
    uint64_t during = handler_mask(sig, a);
    t->sig_blocked = before | during;
    if (!swapped)
        gp__signal_real_mask = entry | during;
    run_at_once(sig, a, info, uc);
    uint64_t after = gp__sigset_bits(&uc->uc_sigmask);
    t->sig_blocked = after == entry ? before : after;
    if (!swapped)
        gp__signal_real_mask = after;
    if (t->sig_blocked != t->sig_counted)
        counts_stale = 1;
    if ((t->sig_pending | process_pending) & ~t->sig_blocked)
        gp__signal_routing_needed = 1; /* something it left pending is now unblocked */
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
    int saved_errno = errno;
    bool restart = restarts(sig, &a);
    uint64_t bit = gp__sigbit(sig);
    /* A signal that the real mask the shim set blocks comes only while a system call has
     * a mask of its own for its duration (ppoll, pselect, epoll_pwait made for real): the
     * kernel let it through for the running thread, which takes it as natively. (The
     * context then holds the mask that call restores.) */
    ucontext_t *uc = uctx;
    bool swapped = gp__signal_real_mask & bit;
    bool running_unblocked = !running->is_hub && (swapped || !(running->sig_blocked & bit));
    bool running_takes = running_unblocked || (running->sig_waiting & bit);
    struct gp_thread *t = target_of(sig, info, running, running_takes);
    if (t == running && running_unblocked && running->interrupt == GP_INTR_NEVER && !busy &&
        !(running->sig_waiting & bit) && has_handler(&a)) {
        errno = saved_errno;
        run_in_trampoline(running, sig, &a, info, uc, swapped);
        return;
    }
    /* Pending for a thread (or the process) that blocks it or waits for it in sigwait;
     * otherwise due on t, run at the end of its wait (also while it sets the wait up or
     * takes it down, when it is the running one). */
    bool t_takes = t == running ? running_takes : t != ANY && t != PROCESS && takes(t, sig);
    bool pending = t == PROCESS || (t != ANY && (!t_takes || (t->sig_waiting & bit)));
    sigset_t saved;
    block_all(&saved);
    bool recorded = pending ? add_entry(PENDING, t, sig, info, NULL, false)
                            : add_entry(DELIVER, t, sig, info, &a, restart);
    unblock_saved(&saved);
    errno = saved_errno;
    if (!recorded) {
        run_at_once(sig, &a, info, uctx); /* the pool is full: run it here rather than lose it */
        return;
    }
    /* On the hub the loop may be about to sleep: wake it. (On a green thread the scheduler
     * goes to the hub at the next switch; and libev's write must not run on a green
     * thread, where it would enter the shim.) */
    if (running->is_hub)
        gp__hub_wake_from_signal();
}

/* The blocking detector's signal (watchdog.h): its handler stays in the kernel, and
 * forwards what does not come from the watchdog to gp__signal_forward; the program's
 * action is kept here and shown to the program, as for any signal. The same for the thread
 * dump's signal (inspect.h), whose every delivery is the dump's. */
static void watchdog_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    sigset_t saved;
    block_all(&saved);
    struct sigaction previous = program_action[sig];
    if (act)
        program_action[sig] = *act;
    unblock_saved(&saved);
    if (old)
        *old = previous;
}

void gp__signal_forward(int sig, siginfo_t *info, void *uctx)
{
    const struct sigaction *a = &program_action[sig];
    if (has_handler(a)) {
        trampoline(sig, info, uctx);
    } else if (a->sa_handler == SIG_DFL) {
        /* A real-time signal's default action ends the process: once the watchdog's
         * handler returns, the signal raised again finds the default action. */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        gp__real.sigaction(sig, &dfl, NULL);
        gp__real.pthread_kill(gp__real.pthread_self(), sig);
    }
}

/* sigaction in a vfork child. The child shares the parent's memory but has a signal table
 * of its own (vfork does not share it, CLONE_SIGHAND): what it changes is its own, and the
 * parent's program_action must stay as it is. Python's subprocess resets every handled
 * signal to SIG_DFL in its vfork child before exec (_posixsubprocess.c,
 * reset_signal_handlers); through the table, that would have left the parent's trampoline
 * running SIG_DFL, and asyncio's SIGCHLD never reached its wakeup fd. Until the child
 * changes a signal, its kernel action is the parent's trampoline: it reports the program's
 * action instead, as the parent would. */
static int vfork_child_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct sigaction installed;
    if (gp__real.sigaction(sig, act, &installed) < 0)
        return -errno;
    if (old)
        *old = is_trampoline(&installed) ? program_action[sig] : installed;
    return 0;
}

int gp__signal_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (gp__signal_vfork_child)
        return vfork_child_action(sig, act, old);
    if (sig == SIGSEGV && gp__guard_action(act, old))
        return 0;
    if (sig && (sig == gp__watchdog_signal || sig == gp__config.dump_signal)) {
        watchdog_action(sig, act, old);
        return 0;
    }
    if (!wrappable(sig))
        return gp__real.sigaction(sig, act, old) == 0 ? 0 : -errno;
    struct sigaction installed;
    if (gp__real.sigaction(sig, NULL, &installed) < 0)
        return -errno;
    bool ours = is_trampoline(&installed);
    struct sigaction previous = ours ? program_action[sig] : installed;
    if (ours)
        previous.sa_flags = (previous.sa_flags & ~SA_RESTART) | (installed.sa_flags & SA_RESTART);
    if (act) {
        struct sigaction k = *act;
        if (has_handler(act)) {
            gp__real_bind_all(); /* the handler's calls reach real functions: no dlsym there */
            k.sa_sigaction = trampoline;
            k.sa_flags |= SA_SIGINFO;
        }
        /* The signal is held while the table and the kernel change together, so that its
         * trampoline never sees one without the other. */
        sigset_t hold, saved_mask;
        sigemptyset(&hold);
        sigaddset(&hold, sig);
        gp__real.pthread_sigmask(SIG_BLOCK, &hold, &saved_mask);
        struct sigaction saved = program_action[sig];
        program_action[sig] = *act;
        int r = gp__real.sigaction(sig, &k, NULL) == 0 ? 0 : -errno;
        if (r < 0)
            program_action[sig] = saved;
        gp__real.pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
        if (r < 0)
            return r;
    }
    if (old)
        *old = previous;
    return 0;
}

/* ---- handing signals to threads (outside signal context) ---- */

/* Wakes t for the handlers due on it: a wait they end, or any other, which goes on. A
 * runnable thread runs them when it is next switched in. */
static void wake_for_handlers(struct gp_thread *t)
{
    if (t->state == GP_PARKED)
        gp__sched_unpark(t, t->interrupt != GP_INTR_NEVER ? GP_WAKE_INTERRUPT : GP_WAKE_SIGNAL);
}

/* Signals whose default action is to do nothing (signal(7)). */
static bool ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* A signal that was pending reaches t, which takes it now. What happens is what the kernel
 * does at delivery: the handler (made due on t), nothing for an ignored signal, or the
 * default action, which the kernel takes when the signal is raised again for real. The
 * caller holds every signal blocked. */
static void deliver_pending(struct entry *e, struct gp_thread *t)
{
    int sig = e->sig;
    struct sigaction installed = installed_action(sig);
    if (is_trampoline(&installed)) {
        struct sigaction a = program_action[sig];
        if (a.sa_flags & SA_RESETHAND) {
            struct sigaction dfl = {.sa_handler = SIG_DFL};
            gp__real.sigaction(sig, &dfl, NULL); /* what the kernel does on delivery */
        }
        e->action = a;
        e->restart = installed.sa_flags & SA_RESTART;
        entry_move(e, DELIVER, t);
        return;
    }
    entry_move(e, FREE, NULL);
    if (installed.sa_handler == SIG_DFL && !ignored_by_default(sig))
        gp__real.pthread_kill(gp__sched_os_thread(), sig); /* the kernel's default action */
}

/* Routes every entry: chooses a thread for those nobody was chosen for, makes due what
 * the chosen thread takes now and wakes it, or hands a thread in sigwait what it waits
 * for. Outside signal context, with no green thread running but the caller. */
static void log_route(const struct entry *e, const struct gp_thread *t, const char *how)
{
    gp__log_debug("signals: SIG%s for %s%llu: %s", sigabbrev_np(e->sig) ?: "?",
                  t ? "green thread " : "the process", t ? (unsigned long long)t->id : 0, how);
}

static void route_entries(void)
{
    for (int i = 0; i < POOL_MAX; i++) {
        struct entry *e = &pool[i];
        if (e->state == FREE)
            continue;
        uint64_t bit = gp__sigbit(e->sig);
        struct gp_thread *t = e->target;
        if (t == ANY || t == PROCESS) {
            t = taker_of(e->sig);
            if (!t) {
                if (e->state != PENDING || e->target != PROCESS) {
                    log_route(e, NULL, "pending: every green thread blocks it");
                    entry_move(e, PENDING, PROCESS);
                }
                continue;
            }
        }
        if (t->sig_waiting & bit) {
            if (e->state != PENDING || e->target != t) {
                log_route(e, t, "taken by its sigwait");
                entry_move(e, PENDING, t);
            }
            if (t->state == GP_PARKED)
                gp__sched_unpark(t, GP_WAKE_READY); /* its sigwait takes it */
        } else if (t->sig_blocked & bit) {
            if (e->state != PENDING || e->target != t)
                entry_move(e, PENDING, t);
        } else {
            if (e->state == PENDING)
                deliver_pending(e, t);
            else if (e->target != t)
                entry_move(e, DELIVER, t);
            if (e->state == DELIVER) {
                log_route(e, t, "its handler runs on that thread");
                wake_for_handlers(t);
            }
        }
    }
}

static void route(void)
{
    sigset_t saved;
    block_all(&saved);
    gp__signal_routing_needed = 0;
    if (counts_stale)
        recount_stale();
    route_entries();
    unblock_saved(&saved);
}

void gp__signal_dispatch(void)
{
    if (!gp__signal_routing_needed && !counts_stale)
        return;
    route();
    apply_real_mask(hub_thread->sig_blocked); /* the hub runs this: a recount may change it */
}

bool gp__signal_has_deferred(const struct gp_thread *t) { return t->deferred_signals > 0; }

/* ---- masks ---- */

/* Sets the running thread t's mask, for real too, and makes due on t the pending signals it
 * now takes. */
static void set_mask(struct gp_thread *t, uint64_t bits)
{
    bits &= ~UNBLOCKABLE;
    sig_atomic_t was_busy = busy;
    busy = 1;
    if (counts_stale)
        recount_stale();
    t->sig_blocked = bits;
    count_thread(t, bits);
    recompute_hub_mask();
    /* Kernel-pending signals it unblocks come to the trampoline during this call. */
    apply_real_mask(bits);
    busy = was_busy;
    if (!((t->sig_pending | process_pending) & ~bits))
        return;
    sigset_t saved;
    block_all(&saved);
    for (int i = 0; i < POOL_MAX; i++) {
        struct entry *e = &pool[i];
        if (e->state == PENDING && (e->target == t || e->target == PROCESS) &&
            !(bits & gp__sigbit(e->sig)))
            deliver_pending(e, t);
    }
    unblock_saved(&saved);
}

/* Runs a handler on t (the running thread) outside the kernel's delivery, with what the
 * kernel would have set up: the handler's mask added to t's, and a context whose mask is
 * t's before; t's mask afterwards is the context's, as after sigreturn. errno is the
 * handler's business only: what the shim does around it leaves errno alone. */
static void run_handler_on(struct gp_thread *t, int sig, const struct sigaction *a, siginfo_t *info)
{
    const int before_errno = errno;
    const uint64_t before = t->sig_blocked;
    set_mask(t, before | handler_mask(sig, a));
    ucontext_t context;
    getcontext(&context);
    gp__sigset_store(&context.uc_sigmask, before);
    errno = before_errno;
    run_handler(sig, a, info, &context);
    int handler_errno = errno;
    set_mask(t, gp__sigset_bits(&context.uc_sigmask));
    errno = handler_errno;
}

enum gp_handlers_ran gp__signal_run_deferred(struct gp_thread *t)
{
    enum gp_handlers_ran ran = GP_HANDLERS_NONE;
    while (t->deferred_signals > 0) {
        struct entry mine[POOL_MAX];
        int n = 0;
        sigset_t saved;
        block_all(&saved);
        for (int i = 0; i < POOL_MAX; i++) {
            struct entry *e = &pool[i];
            if (e->state != DELIVER || e->target != t)
                continue;
            if (t->sig_blocked & gp__sigbit(e->sig)) {
                entry_move(e, PENDING, t); /* blocked since it came: pending again */
                continue;
            }
            mine[n++] = *e;
            entry_move(e, FREE, NULL);
        }
        unblock_saved(&saved);
        for (int i = 0; i < n; i++) {
            /* Ignoring a signal discards it while it is pending (POSIX): no handler, and
             * the call goes on as if it had not come. */
            if (!has_handler(&program_action[mine[i].sig]))
                continue;
            if (!mine[i].restart)
                ran = GP_HANDLERS_INTERRUPT;
            else if (ran == GP_HANDLERS_NONE)
                ran = GP_HANDLERS_RESTART;
            run_handler_on(t, mine[i].sig, &mine[i].action, &mine[i].info);
        }
    }
    return ran;
}

int gp__signal_mask(int how, const sigset_t *set, sigset_t *old)
{
    struct gp_thread *t = gp__current;
    uint64_t was = t->sig_blocked;
    if (set) {
        uint64_t bits = gp__sigset_bits(set);
        switch (how) {
        case SIG_BLOCK:
            bits |= was;
            break;
        case SIG_UNBLOCK:
            bits = was & ~bits;
            break;
        case SIG_SETMASK:
            break;
        default:
            return -EINVAL;
        }
        set_mask(t, bits);
        /* Inside a wait (ppoll's mask, hub.c) what it unblocked ends the wait instead. */
        if (t->interrupt == GP_INTR_NEVER)
            gp__signal_run_deferred(t);
    }
    if (old)
        gp__sigset_store(old, was);
    return 0;
}

void gp__signal_jump_mask(const sigset_t *mask)
{
    struct gp_thread *t = gp__current;
    set_mask(t, gp__sigset_bits(mask));
    gp__signal_run_deferred(t);
}

void gp__signal_pending_set(sigset_t *out)
{
    struct gp_thread *t = gp__current;
    /* The kernel's answer is already limited to the real mask, which is t's. */
    sigset_t kernel;
    sigemptyset(&kernel);
    gp__real.sigpending(&kernel);
    uint64_t bits =
        gp__sigset_bits(&kernel) | ((t->sig_pending | process_pending) & t->sig_blocked);
    gp__sigset_store(out, bits); /* the kernel's word only, as the real call writes */
}

/* ---- waiting for signals ---- */

/* Takes a signal of set pending for t, for the process, or in the kernel (for the OS
 * thread or the process), in that order, as the kernel dequeues. Returns it, or 0. */
static int take(struct gp_thread *t, uint64_t set, siginfo_t *info)
{
    sigset_t saved;
    block_all(&saved);
    struct entry *e = pending_entry(t, set);
    if (!e)
        e = pending_entry(PROCESS, set);
    int sig = 0;
    if (e) {
        sig = e->sig;
        *info = e->info;
        entry_move(e, FREE, NULL);
    }
    unblock_saved(&saved);
    if (sig) {
        if (info->si_code == SI_TKILL)
            info->si_code = SI_USER; /* glibc's sigtimedwait folds them so */
        return sig;
    }
    sigset_t kernel_set;
    sigemptyset(&kernel_set);
    gp__sigset_store(&kernel_set, set);
    struct timespec now = {0, 0};
    int r = gp__real.sigtimedwait(&kernel_set, info, &now);
    return r > 0 ? r : 0;
}

/* How often a wait for signals looks again when it has no signalfd to wait on. */
#define NO_SIGNALFD_POLL_NS 10000000

/* Parks until a signal of set may be pending in the kernel (a signalfd for set reports it)
 * or the deadline. Inside the caller's signal bracket. */
static enum gp_wake wait_for_kernel_signal(uint64_t set, int64_t deadline)
{
    sigset_t mask;
    sigemptyset(&mask);
    gp__sigset_store(&mask, set);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        int64_t poll = gp__deadline_after(NO_SIGNALFD_POLL_NS);
        enum gp_wake why = gp__hub_park_until(poll < deadline ? poll : deadline, GP_INTR_NEVER);
        return why == GP_WAKE_TIMEOUT && poll < deadline ? GP_WAKE_READY : why;
    }
    enum gp_wake why = gp__hub_wait_fd_bare(fd, GP_HUB_READ, deadline);
    gp__real.close(fd);
    return why;
}

int gp__signal_wait(const sigset_t *set, siginfo_t *info, int64_t own)
{
    struct gp_thread *t = gp__current;
    int64_t deadline = gp__timeout_bound(own); /* the timeout scope's (timeout.h), if earlier */
    uint64_t want = gp__sigset_bits(set) & ~(gp__sigbit(SIGKILL) | gp__sigbit(SIGSTOP));
    for (;;) {
        /* Waiting from before the first look: a signal that comes meanwhile is pending for
         * this thread (the trampoline and the hub see sig_waiting), not run. */
        t->sig_waiting = want;
        gp__signal_enter_wait(t, GP_INTR_ALWAYS);
        int sig = take(t, want, info);
        enum gp_wake why = GP_WAKE_TIMEOUT;
        if (!sig && gp__now_ns() < deadline) {
            why = wait_for_kernel_signal(want, deadline);
            sig = take(t, want, info);
        }
        t->sig_waiting = 0;
        gp__signal_leave_wait(t);
        /* sigtimedwait is never restarted (signal(7)): a handler that ran ends it, unless
         * a signal it waits for came too. */
        bool handled = gp__signal_has_deferred(t) && gp__signal_run_deferred(t) != GP_HANDLERS_NONE;
        if (sig)
            return sig;
        /* A handler ran, or pthread_cancel woke the wait (the shim acts on it). */
        if (handled || (why == GP_WAKE_INTERRUPT && gp__cancel_due()))
            return -EINTR;
        if (why == GP_WAKE_TIMEOUT && gp__now_ns() >= deadline)
            return gp__timeout_error(own, -EAGAIN);
    }
}

int gp__signal_suspend(const sigset_t *mask)
{
    struct gp_thread *t = gp__current;
    uint64_t before = t->sig_blocked;
    int64_t deadline = gp__timeout_bound(GP_NO_DEADLINE); /* the timeout scope's (timeout.h) */
    int r = -EINTR;
    for (;;) {
        /* In the wait before the mask changes: what it unblocks is deferred to this thread
         * and ends the park at once. */
        gp__signal_enter_wait(t, GP_INTR_ALWAYS);
        set_mask(t, gp__sigset_bits(mask));
        /* A bare park: the bracket is ours. */
        enum gp_wake why = gp__hub_park_until(deadline, GP_INTR_NEVER);
        gp__signal_leave_wait(t);
        /* The handlers run with the suspend mask; a signal ignored meanwhile ends nothing. */
        if (gp__signal_has_deferred(t) && gp__signal_run_deferred(t) != GP_HANDLERS_NONE)
            break;
        /* pthread_cancel woke it: the shim acts on the request, with the mask restored. */
        if (why == GP_WAKE_INTERRUPT && gp__cancel_due())
            break;
        if (why == GP_WAKE_TIMEOUT) { /* the timeout scope ended it: -ETIMEDOUT */
            r = -ETIMEDOUT;
            break;
        }
    }
    set_mask(t, before);
    gp__signal_run_deferred(t);
    return r;
}

/* ---- pthread_kill ---- */

/* pthread_kill (value NULL) and pthread_sigqueue for the green thread t. */
static int send_to(struct gp_thread *t, pthread_t os_thread, int sig, const union sigval *value)
{
    /* glibc's pthread_sigqueue looks at the thread's kernel task first (gone: ESRCH); its
     * pthread_kill discards a signal for a thread that has exited but is not joined. */
    if (value && t->state == GP_DEAD)
        return -ESRCH;
    if (sig == 0)
        return 0;
    if (sig < 0 || sig >= NSIG)
        return -EINVAL;
    if (t->state == GP_DEAD)
        return 0;
    struct gp_thread *self = gp__current;
    if (!self || self->is_hub || t == self || !wrappable(sig)) {
        /* From an OS thread the scheduler does not run, the signal goes through the
         * kernel with its target noted; only one that reaches the trampoline consumes the
         * note. To itself, the kernel does what it does natively. */
        if (!self && wrappable(sig) && has_handler(&program_action[sig]))
            __atomic_store_n(&kill_target[sig], t, __ATOMIC_RELEASE);
        return value ? -gp__real.pthread_sigqueue(os_thread, sig, *value)
                     : -gp__real.pthread_kill(os_thread, sig);
    }
    /* One green thread to another: as a pending signal of t's that t takes now or later. */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = value ? SI_QUEUE : SI_TKILL;
    info.si_pid = getpid();
    info.si_uid = getuid();
    if (value)
        info.si_value = *value;
    sigset_t saved;
    block_all(&saved);
    bool added = add_entry(PENDING, t, sig, &info, NULL, false);
    unblock_saved(&saved);
    if (!added)
        return -EAGAIN; /* as when the kernel's queue of signals is full */
    route();
    return 0;
}

int gp__signal_send(struct gp_thread *t, pthread_t os_thread, int sig)
{
    return send_to(t, os_thread, sig, NULL);
}

int gp__signal_queue(struct gp_thread *t, pthread_t os_thread, int sig, const union sigval value)
{
    return send_to(t, os_thread, sig, &value);
}

/* ---- waits and threads ---- */

void gp__signal_defer_begin(void) { busy = 1; }

void gp__signal_defer_end(void) { busy = 0; }

void gp__signal_enter_wait(struct gp_thread *t, enum gp_interrupt how)
{
    busy = 1;
    t->interrupt = how;
    if (how != GP_INTR_NEVER)
        gp__list_push_back(&interruptible, &t->intr_link);
    busy = 0;
}

void gp__signal_leave_wait(struct gp_thread *t)
{
    busy = 1;
    if (t->interrupt != GP_INTR_NEVER)
        gp__list_remove(&t->intr_link);
    t->interrupt = GP_INTR_NEVER;
    busy = 0;
}

static void add_thread(struct gp_thread *t)
{
    gp__list_push_back(&threads, &t->sig_link);
    n_threads++;
    t->sig_counted = 0;
    count_thread(t, t->sig_blocked);
    recompute_hub_mask();
}

void gp__signal_adopt(struct gp_thread *main, struct gp_thread *hub)
{
    sigset_t now;
    sigemptyset(&now);
    gp__real.pthread_sigmask(SIG_BLOCK, NULL, &now);
    hub_thread = hub;
    main->sig_blocked = gp__sigset_bits(&now) & ~UNBLOCKABLE;
    gp__signal_real_mask = gp__sigset_bits(&now);
    add_thread(main);
}

void gp__signal_spawned(const struct gp_thread *creator, struct gp_thread *t)
{
    t->sig_blocked = creator->sig_blocked;
    add_thread(t);
}

void gp__signal_each_thread(void (*fn)(struct gp_thread *t, void *arg), void *arg)
{
    for (struct gp_list *l = threads.next; l != &threads; l = l->next)
        fn(GP_CONTAINER_OF(l, struct gp_thread, sig_link), arg);
}

void gp__signal_forget_thread(struct gp_thread *t)
{
    sig_atomic_t was_busy = busy;
    busy = 1;
    /* First, so that no handler names t after the check below: a pthread_kill's signal
     * that the kernel delivers late finds no target and goes to a taker, as when the
     * thread it named has gone. */
    for (int sig = 1; sig < NSIG; sig++)
        if (kill_target[sig] == t)
            kill_target[sig] = NULL;
    gp__list_remove(&t->sig_link);
    n_threads--;
    count_mask(t->sig_counted, -1);
    recompute_hub_mask();
    busy = was_busy;
    /* Entries for t exist only while signals are due or pending for it (account,
     * recompute_pending_bit): a thread that exits with none, the common case, scans no
     * pool and makes no system call (two sigprocmask calls were half of what a green
     * thread's create and join cost). */
    if (t->deferred_signals || t->sig_pending) {
        sigset_t saved;
        block_all(&saved);
        for (int i = 0; i < POOL_MAX; i++)
            if (pool[i].state != FREE && pool[i].target == t)
                entry_move(&pool[i], FREE, NULL);
        t->deferred_signals = 0;
        t->sig_pending = 0;
        unblock_saved(&saved);
    }
}

void gp__signal_after_fork(void)
{
    struct gp_thread *self = gp__current;
    gp__list_init(&interruptible);
    gp__list_init(&threads);
    memset(pool, 0, sizeof pool);
    memset(kill_target, 0, sizeof kill_target);
    memset(blocking, 0, sizeof blocking);
    n_threads = 0;
    gp__signal_routing_needed = 0;
    counts_stale = 0;
    process_pending = 0;
    /* The child starts with nothing pending (fork(2)) and the mask the parent's thread had,
     * which is the real one. */
    self->deferred_signals = 0;
    self->sig_pending = 0;
    self->sig_counted = 0;
    add_thread(self);
    sigset_t now;
    sigemptyset(&now);
    gp__real.pthread_sigmask(SIG_BLOCK, NULL, &now);
    gp__signal_real_mask = gp__sigset_bits(&now);
}
