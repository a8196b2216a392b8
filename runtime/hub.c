/* See hub.h.
 *
 * Waits for fds go to an epoll instance of the hub's own (hub.epfd), watched by the libev
 * loop as one fd. Each wait arms its fd there with EPOLLONESHOT: a report disarms the fd
 * until a green thread waits on it again, so an fd whose thread is runnable but has not
 * read yet is not reported at every turn of the loop (libev's level-triggered watchers
 * did that, and with thousands of connections each turn reported thousands of fds whose
 * threads were only queued). Arming is one epoll_ctl per wait, MOD or ADD, never
 * skipped: what an fd number refers to may have changed behind the hub's back (dup2, a
 * close the shim did not see), and the kernel's answer (ENOENT, EEXIST) tells. An fd
 * epoll refuses (EPERM: a regular file) or cannot arm goes to a libev watcher, which
 * reports such an fd ready at every turn, as before.
 *
 * libev is loaded with dlopen(RTLD_LOCAL) and called through a table. Debian's libev.a is
 * not position-independent, so it cannot go into the shim, and libev.so.4 also exports
 * libevent-compatible event_* names: linked normally it would enter the process's global
 * symbol scope ahead of a program's own libevent and capture its calls. */
#include "hub.h"

#include "cancel.h"
#include "clock.h"
#include "diag.h"
#include "inspect.h"
#include "list.h"
#include "real.h"
#include "signals.h"
#include "stats.h"
#include "waitq.h"

#include <dlfcn.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

_Static_assert((int)GP_HUB_READ == (int)EV_READ && (int)GP_HUB_WRITE == (int)EV_WRITE, "libev event bits");

static struct {
    struct ev_loop *(*loop_new)(unsigned int flags);
    void (*loop_destroy)(struct ev_loop *);
    int (*run)(struct ev_loop *, int flags);
    void (*now_update)(struct ev_loop *);
    void (*io_start)(struct ev_loop *, ev_io *);
    void (*io_stop)(struct ev_loop *, ev_io *);
    void (*timer_start)(struct ev_loop *, ev_timer *);
    void (*timer_stop)(struct ev_loop *, ev_timer *);
    void (*async_start)(struct ev_loop *, ev_async *);
    void (*async_send)(struct ev_loop *, ev_async *);
    void (*set_syserr_cb)(void (*cb)(const char *msg));
} ev;

/* A green thread waiting on an fd; lives on that thread's stack (or heap, for a large
 * multi-fd wait) while it waits. */
struct fd_waiter {
    ev_io io;                 /* only when epoll refused the fd (by_libev) */
    struct gp_thread *thread;
    struct gp_hub_fd *report; /* the caller's entry: fd, events, what happened to the fd */
    struct fd_waiter *next;   /* on hub.fds[fd].head, the waiters of one fd */
    struct fd_waiter *prev;
    bool tracked;             /* on that list */
    bool by_libev;            /* waits through io, not through hub.epfd */
};

/* What the hub knows of one fd number. */
struct fd_slot {
    struct fd_waiter *head; /* its waiters */
    uint32_t armed;         /* EPOLLIN/EPOLLOUT armed in hub.epfd and not yet reported */
    uint32_t gen;           /* bumped when the fd is closed: reports armed before are stale */
    bool registered;        /* added to hub.epfd (as far as the hub knows) */
};

/* A wake-up posted by another OS thread: malloc'd by the poster, freed by the hub. */
struct posted_wake {
    struct posted_wake *next; /* on hub.posted */
    const void *key;
    int n;
};

/* A deadline on a park; lives on the parked thread's stack. */
struct timed_park {
    ev_timer timer;
    struct gp_thread *thread;
};

/* Wakes that signal handlers post (gp__hub_post_wake_from_signal): a handler may not
 * allocate, so they take one of these slots, each holding a key to wake one waiter of. */
enum { SIGNAL_WAKES_MAX = 64 };

static struct {
    struct ev_loop *loop;
    ev_async async;                      /* woken by gp__hub_post from other OS threads */
    struct posted_wake *posted;          /* Treiber stack, pushed by any thread */
    struct gp_hub_unpark *unparks;       /* Treiber stack, pushed by any thread */
    const void *signal_wakes[SIGNAL_WAKES_MAX]; /* NULL: free; claimed by handlers */
    int epfd;                            /* the fd waits' epoll instance */
    ev_io epoll_io;                      /* watches epfd in the loop */
    struct fd_slot *fds;                 /* indexed by fd */
    size_t fd_capacity;
} hub = {.epfd = -1};

static void on_libev_error(const char *msg)
{
    gp__diag("libev: %s: %m", msg);
    abort();
}

static void take_posted(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    struct posted_wake *list = __atomic_exchange_n(&hub.posted, NULL, __ATOMIC_ACQUIRE);
    while (list) {
        struct posted_wake *next = list->next;
        gp__waitq_wake(list->key, list->n);
        free(list);
        list = next;
    }
    for (int i = 0; i < SIGNAL_WAKES_MAX; i++) {
        const void *key = __atomic_exchange_n(&hub.signal_wakes[i], NULL, __ATOMIC_ACQUIRE);
        if (key)
            gp__waitq_wake(key, 1);
    }
    struct gp_hub_unpark *u = __atomic_exchange_n(&hub.unparks, NULL, __ATOMIC_ACQUIRE);
    while (u) {
        /* Read the node before taken is set: from then on its owner may reuse it. */
        struct gp_hub_unpark *next = u->next;
        struct gp_thread *t = u->thread;
        u->taken = true;
        gp__sched_unpark(t, GP_WAKE_READY);
        u = next;
    }
}

static int load_libev(void)
{
    void *lib = gp__real.dlopen("libev.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *err = dlerror();
        gp__diag("cannot load libev.so.4: %s", err ? err : "?");
        return -ENOENT;
    }
#define GP_EV_BIND(field, name)                                                               \
    if (!(*(void **)&ev.field = dlsym(lib, name)))                                            \
        return -ENOENT;
    GP_EV_BIND(loop_new, "ev_loop_new")
    GP_EV_BIND(loop_destroy, "ev_loop_destroy")
    GP_EV_BIND(run, "ev_run")
    GP_EV_BIND(now_update, "ev_now_update")
    GP_EV_BIND(io_start, "ev_io_start")
    GP_EV_BIND(io_stop, "ev_io_stop")
    GP_EV_BIND(timer_start, "ev_timer_start")
    GP_EV_BIND(timer_stop, "ev_timer_stop")
    GP_EV_BIND(async_start, "ev_async_start")
    GP_EV_BIND(async_send, "ev_async_send")
    GP_EV_BIND(set_syserr_cb, "ev_set_syserr_cb")
#undef GP_EV_BIND
    return 0;
}

static void on_epoll_ready(struct ev_loop *loop, ev_io *w, int revents);

/* The hub's epoll fd goes this high (below the fd limit): the low numbers are the
 * program's, which may dup2 onto one it thinks is free ("exec 8>&1" in a shell it runs). */
enum { EPOLL_FD_FLOOR = 1008 };

/* The fd waits' epoll instance, at or above EPOLL_FD_FLOOR when the fd limit allows. */
static int new_epoll_fd(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    struct rlimit limit;
    if (fd < 0 || fd >= EPOLL_FD_FLOOR || getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return fd;
    int floor = limit.rlim_cur > EPOLL_FD_FLOOR + 16 ? EPOLL_FD_FLOOR : (int)limit.rlim_cur - 16;
    int high = floor > fd ? gp__real.fcntl(fd, F_DUPFD_CLOEXEC, floor) : -1;
    if (high < 0)
        return fd;
    gp__real.close(fd);
    return high;
}

static struct ev_loop *new_loop(void)
{
    hub.epfd = new_epoll_fd();
    if (hub.epfd < 0)
        return NULL;
    /* NOENV: the program's LIBEV_FLAGS is not ours to obey. NOSIGMASK: libev must not
     * change the program's signal mask. */
    struct ev_loop *loop = ev.loop_new(EVFLAG_AUTO | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
    if (!loop) {
        gp__real.close(hub.epfd);
        hub.epfd = -1;
        return NULL;
    }
    ev_async_init(&hub.async, take_posted);
    ev.async_start(loop, &hub.async);
    ev_io_init(&hub.epoll_io, on_epoll_ready, hub.epfd, EV_READ);
    ev.io_start(loop, &hub.epoll_io);
    return loop;
}

int gp__hub_init(void)
{
    int r = load_libev();
    if (r < 0)
        return r;
    ev.set_syserr_cb(on_libev_error);
    hub.loop = new_loop();
    return hub.loop ? 0 : -ENOMEM;
}

void gp__hub_run(void)
{
    for (;;) {
        gp__signal_dispatch();
        gp__inspect_hub();
        bool wait = !gp__sched_runnable() && !gp__signal_pending();
        if (wait)
            gp__fiber_stack_trim(); /* the stacks' cache, while nothing runs (fiber.h) */
        ev.run(hub.loop, wait ? EVRUN_ONCE : EVRUN_NOWAIT);
        gp__stats.hub_wakeups += wait;
        gp__signal_dispatch();
        gp__sched_run_next();
    }
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    gp__sched_unpark(GP_CONTAINER_OF(w, struct timed_park, timer)->thread, GP_WAKE_TIMEOUT);
}

static enum gp_wake park_until(int64_t deadline)
{
    gp__current->park.deadline = deadline;
    if (deadline != GP_NO_DEADLINE)
        gp__inspect_say_default(GP_PARK_SLEEP, NULL);
    if (deadline == GP_NO_DEADLINE)
        return gp__sched_park();
    struct timed_park p = {.thread = gp__current};
    for (;;) {
        int64_t left = deadline - gp__now_ns();
        if (left <= 0) {
            gp__current->park.what = GP_PARK_NONE; /* as after a park (inspect.h) */
            return GP_WAKE_TIMEOUT;
        }
        /* libev measures the timer from its cached loop time, which is as old as the last
         * poll; refresh it or the timer would fire early. */
        ev.now_update(hub.loop);
        ev_timer_init(&p.timer, on_deadline, (ev_tstamp)left / 1e9, 0.);
        ev.timer_start(hub.loop, &p.timer);
        enum gp_wake why = gp__sched_park();
        ev.timer_stop(hub.loop, &p.timer);
        if (why != GP_WAKE_TIMEOUT)
            return why;
    }
}

/* The end of an interruptible wait, once it has undone what it registered (a handler may
 * siglongjmp out): the handlers deferred to this thread run here, on its own stack, as the
 * kernel would have run them in this thread. Returns true when the wait goes on (woken
 * only for handlers that had SA_RESTART, in a wait that SA_RESTART restarts, or whose
 * signals were ignored meanwhile, and not for pthread_cancel too); otherwise sets why the
 * wait ended: GP_WAKE_INTERRUPT when a handler ran that ends it. */
static bool wait_goes_on(enum gp_interrupt intr, enum gp_wake *why)
{
    if (!gp__signal_has_deferred(gp__current))
        return false;
    enum gp_handlers_ran ran = gp__signal_run_deferred(gp__current);
    bool goes_on = ran == GP_HANDLERS_NONE ||
                   (ran == GP_HANDLERS_RESTART && intr == GP_INTR_UNLESS_RESTART);
    if (goes_on) /* otherwise what ended the wait stands */
        return *why == GP_WAKE_INTERRUPT && !gp__cancel_due();
    /* The signal was delivered before whatever else ended the wait was seen. */
    *why = GP_WAKE_INTERRUPT;
    return false;
}

enum gp_wake gp__hub_park_until(int64_t deadline, enum gp_interrupt intr)
{
    if (intr == GP_INTR_NEVER)
        return park_until(deadline);
    for (;;) {
        gp__signal_enter_wait(gp__current, intr);
        enum gp_wake why = park_until(deadline);
        gp__signal_leave_wait(gp__current);
        if (!wait_goes_on(intr, &why))
            return why;
    }
}

static int track_fd(struct fd_waiter *w, int fd)
{
    if ((size_t)fd >= hub.fd_capacity) {
        size_t cap = hub.fd_capacity ? hub.fd_capacity : 256;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct fd_slot *slots = realloc(hub.fds, cap * sizeof *slots);
        if (!slots)
            return -ENOMEM;
        memset(slots + hub.fd_capacity, 0, (cap - hub.fd_capacity) * sizeof *slots);
        hub.fds = slots;
        hub.fd_capacity = cap;
    }
    struct fd_slot *slot = &hub.fds[fd];
    w->prev = NULL;
    w->next = slot->head;
    if (w->next)
        w->next->prev = w;
    slot->head = w;
    w->tracked = true;
    return 0;
}

static void untrack_fd(struct fd_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        hub.fds[w->report->fd].head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
    w->tracked = false;
}

static uint32_t epoll_events(int events)
{
    return (events & GP_HUB_READ ? EPOLLIN : 0) | (events & GP_HUB_WRITE ? EPOLLOUT : 0);
}

/* The events that fd's waiters still wait for (a reported waiter's thread may not have
 * run yet). */
static int still_wanted(const struct fd_slot *slot)
{
    int want = 0;
    for (const struct fd_waiter *w = slot->head; w; w = w->next)
        if (!w->by_libev && !w->report->fired)
            want |= w->report->events;
    return want;
}

/* Arms fd in hub.epfd for events, once. Returns 0 or a negative errno. */
static int arm(int fd, int events)
{
    struct fd_slot *slot = &hub.fds[fd];
    struct epoll_event e = {.events = epoll_events(events) | EPOLLONESHOT,
                            .data.u64 = (uint32_t)fd | (uint64_t)slot->gen << 32};
    int op = slot->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int r = epoll_ctl(hub.epfd, op, fd, &e);
    if (r < 0 && errno == (op == EPOLL_CTL_MOD ? ENOENT : EEXIST)) {
        /* The fd number is another file than the one the hub registered (ENOENT), or one
         * it did not know it had registered (EEXIST). */
        op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        r = epoll_ctl(hub.epfd, op, fd, &e);
    }
    if (r < 0) {
        slot->registered = false;
        slot->armed = 0;
        return -errno;
    }
    slot->registered = true;
    slot->armed = e.events & (EPOLLIN | EPOLLOUT);
    return 0;
}

static void on_libev_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct fd_waiter *waiter = GP_CONTAINER_OF(w, struct fd_waiter, io);
    waiter->report->fired |= revents & (EV_READ | EV_WRITE);
    gp__sched_unpark(waiter->thread, GP_WAKE_READY);
}

/* A report from hub.epfd: wakes the fd's waiters for what came, and arms the fd again
 * for the others. */
static void fd_reported(uint64_t data, uint32_t what)
{
    int fd = (int)(uint32_t)data;
    if ((size_t)fd >= hub.fd_capacity || hub.fds[fd].gen != (uint32_t)(data >> 32))
        return; /* armed before a close: about a file that fd no longer is */
    struct fd_slot *slot = &hub.fds[fd];
    slot->armed = 0;
    /* As libev reports them: an error or a hang-up makes the fd readable and writable. */
    int got = (what & (EPOLLIN | EPOLLERR | EPOLLHUP) ? GP_HUB_READ : 0) |
              (what & (EPOLLOUT | EPOLLERR | EPOLLHUP) ? GP_HUB_WRITE : 0);
    for (struct fd_waiter *w = slot->head; w; w = w->next) {
        int mine = w->by_libev ? 0 : w->report->events & got;
        if (mine && !w->report->fired) {
            w->report->fired = mine;
            gp__sched_unpark(w->thread, GP_WAKE_READY);
        }
    }
    int want = still_wanted(slot);
    if (want && arm(fd, want) < 0) /* cannot happen to a registered fd: wake them to retry */
        for (struct fd_waiter *w = slot->head; w; w = w->next)
            if (!w->by_libev && !w->report->fired) {
                w->report->fired = w->report->events;
                gp__sched_unpark(w->thread, GP_WAKE_READY);
            }
}

enum { EPOLL_BATCH = 256 };

static void on_epoll_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    struct epoll_event e[EPOLL_BATCH];
    int n;
    do {
        n = gp__real.epoll_wait(hub.epfd, e, EPOLL_BATCH, 0);
        for (int i = 0; i < n; i++)
            fd_reported(e[i].data.u64, e[i].events);
    } while (n == EPOLL_BATCH);
}

/* Starts the wait of w (its report says on what): armed in hub.epfd, or a libev watcher
 * when epoll refuses the fd; a waiter the hub cannot remember (no memory) is reported
 * ready at once, for its caller to try again. */
static void start_waiter(struct fd_waiter *w)
{
    int fd = w->report->fd, events = w->report->events;
    if (track_fd(w, fd) < 0) {
        w->tracked = false;
        w->by_libev = true;
    } else {
        int want = still_wanted(&hub.fds[fd]);
        w->by_libev = arm(fd, want) < 0;
    }
    if (w->by_libev) {
        ev_io_init(&w->io, on_libev_ready, fd, events);
        ev.io_start(hub.loop, &w->io);
    }
}

/* One park on the n fds, with a waiter for each from the caller, without the signal
 * bracket (signals.h), which is the caller's. */
static enum gp_wake park_on_fds(struct gp_hub_fd *fds, size_t n, struct fd_waiter *w,
                                int64_t deadline)
{
    for (size_t i = 0; i < n; i++) {
        fds[i].fired = 0;
        w[i] = (struct fd_waiter){.thread = gp__current, .report = &fds[i]};
    }
    for (size_t i = 0; i < n; i++)
        if (fds[i].events)
            start_waiter(&w[i]);
    gp__current->park.fds = fds;
    gp__current->park.nfds = n;
    gp__inspect_say(GP_PARK_FDS, NULL);
    enum gp_wake why = park_until(deadline);
    /* A waiter that a close() took off already is stopped and untracked. The fd stays
     * armed if nothing came: a later report finds no waiter and disarms it. */
    for (size_t i = 0; i < n; i++) {
        if (!fds[i].events)
            continue;
        if (w[i].by_libev)
            ev.io_stop(hub.loop, &w[i].io);
        if (w[i].tracked)
            untrack_fd(&w[i]);
    }
    return why;
}
/* The wait of gp__hub_wait_fds, with a waiter for each of the n fds from the caller. */
static enum gp_wake wait_fds(struct gp_hub_fd *fds, size_t n, struct fd_waiter *w,
                             int64_t deadline, enum gp_interrupt intr, const sigset_t *mask)
{
    for (;;) {
        /* Interruptible before anything is registered, and until all of it is undone: a
         * signal in between is deferred to this thread, never handled in the middle. The
         * thread's mask for the wait is set inside, so that what it unblocks is deferred
         * to the wait too. */
        gp__signal_enter_wait(gp__current, intr);
        sigset_t saved;
        if (mask)
            gp__signal_mask(SIG_SETMASK, mask, &saved);
        enum gp_wake why = park_on_fds(fds, n, w, deadline);
        gp__signal_leave_wait(gp__current);
        bool goes_on = wait_goes_on(intr, &why);
        if (mask)
            gp__signal_mask(SIG_SETMASK, &saved, NULL);
        if (!goes_on)
            return why;
    }
}

enum gp_wake gp__hub_wait_fd_bare(int fd, int events, int64_t deadline)
{
    struct gp_hub_fd one = {.fd = fd, .events = events};
    struct fd_waiter w;
    return park_on_fds(&one, 1, &w, deadline);
}

enum gp_wake gp__hub_wait_fd(int fd, int events, int64_t deadline, enum gp_interrupt intr)
{
    struct gp_hub_fd one = {.fd = fd, .events = events};
    struct fd_waiter w;
    return wait_fds(&one, 1, &w, deadline, intr, NULL);
}

/* Waiters for this many fds live on the waiting thread's stack; more are malloc'd. */
enum { STACK_FD_WAITERS = 8 };

int gp__hub_wait_fds(struct gp_hub_fd *fds, size_t n, int64_t deadline, enum gp_interrupt intr,
                     const sigset_t *mask)
{
    struct fd_waiter small[STACK_FD_WAITERS], *w = small;
    if (n > STACK_FD_WAITERS && !(w = malloc(n * sizeof *w)))
        return -ENOMEM;
    enum gp_wake why = wait_fds(fds, n, w, deadline, intr, mask);
    if (w != small)
        free(w);
    return (int)why;
}

void gp__hub_fd_closing(int fd)
{
    if (!hub.loop || fd < 0 || (size_t)fd >= hub.fd_capacity)
        return;
    struct fd_slot *slot = &hub.fds[fd];
    struct fd_waiter *w;
    while ((w = slot->head)) {
        if (w->by_libev)
            ev.io_stop(hub.loop, &w->io);
        untrack_fd(w);
        w->report->fired |= GP_HUB_CLOSED;
        gp__sched_unpark(w->thread, GP_WAKE_CLOSED);
    }
    /* The file may live on elsewhere (dup, fork) and its registration with it: one still
     * armed is taken off, and any report armed before now is recognised as stale. */
    if (slot->registered && slot->armed) {
        struct epoll_event unused;
        epoll_ctl(hub.epfd, EPOLL_CTL_DEL, fd, &unused);
    }
    slot->registered = false;
    slot->armed = 0;
    slot->gen++;
}

int gp__hub_post_wake(const void *key, int n)
{
    struct posted_wake *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    *w = (struct posted_wake){.key = key, .n = n};
    struct posted_wake *head = __atomic_load_n(&hub.posted, __ATOMIC_RELAXED);
    do
        w->next = head;
    while (!__atomic_compare_exchange_n(&hub.posted, &head, w, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
    ev.async_send(hub.loop, &hub.async);
    return 0;
}

int gp__hub_post_wake_from_signal(const void *key)
{
    for (int i = 0; i < SIGNAL_WAKES_MAX; i++) {
        const void *free_slot = NULL;
        if (__atomic_compare_exchange_n(&hub.signal_wakes[i], &free_slot, key, false,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            gp__hub_wake_from_signal();
            return 0;
        }
    }
    return -EAGAIN;
}

void gp__hub_post_unpark(struct gp_hub_unpark *p)
{
    struct gp_hub_unpark *head = __atomic_load_n(&hub.unparks, __ATOMIC_RELAXED);
    do
        p->next = head;
    while (!__atomic_compare_exchange_n(&hub.unparks, &head, p, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
    ev.async_send(hub.loop, &hub.async);
}

void gp__hub_after_fork(void)
{
    /* The parent's loop shares its epoll instance and eventfd with the parent, and its
     * watchers belong to threads the child does not have. Its memory is dropped, not
     * freed: the watchers on it live on stacks that no longer run. */
    hub.posted = NULL;
    hub.unparks = NULL;
    memset(hub.signal_wakes, 0, sizeof hub.signal_wakes);
    for (size_t fd = 0; fd < hub.fd_capacity; fd++)
        hub.fds[fd] = (struct fd_slot){0};
    if (hub.loop)
        ev.loop_destroy(hub.loop);
    /* The parent's epoll instance, shared with it: the child's registrations are its own. */
    if (hub.epfd >= 0)
        gp__real.close(hub.epfd);
    hub.loop = new_loop();
    if (!hub.loop) {
        gp__diag("cannot create an event loop in the fork child");
        abort();
    }
}

void gp__hub_wake_from_signal(void)
{
    /* ev_async_send is async-signal-safe (libev's documentation says so). */
    if (hub.loop)
        ev.async_send(hub.loop, &hub.async);
}
