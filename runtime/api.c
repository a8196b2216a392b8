/* The public API's green threads (greenpatch.h) over the scheduler: spawn, deferred spawn,
 * join, detach, kill, names, self, yield and sleep; and gp_offload. */
#include "api.h"

#include "cancel.h"
#include "clock.h"
#include "config.h"
#include "greenpatch.h"
#include "handles.h"
#include "hub.h"
#include "identity.h"
#include "init.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"
#include "signals.h"
#include "timeout.h"
#include "waitq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(GP_KILLED == PTHREAD_CANCELED, "gp_join's status of a killed thread");

bool gp__api_may_manage(void)
{
    /* A handler run where its signal interrupted the OS thread may have interrupted the
     * scheduler in the middle of a change of its run queue. */
    return !gp__config.disabled && !(gp__current && gp__current->is_hub) &&
           !(!gp__current && gp__sched_main()) && !gp__signal_in_handler();
}

int gp__api_spawn(struct gp_thread **out, bool detached, void *(*fn)(void *), void *arg)
{
    if (!gp__init())
        return -EAGAIN;
    if (!gp__api_may_manage())
        return -EPERM;
    struct gp_spawn_opts opts = {.detached = detached};
    return gp__sched_spawn(out, &opts, fn, arg);
}

/* Parks the calling green thread until deadline, in a cancellation point that no signal
 * ends: gp_kill and pthread_cancel wake it (cancel_wait) and end it here. */
static void sleep_until(int64_t deadline)
{
    struct gp_thread *self = gp__current;
    gp__cancel_point();
    for (;;) {
        self->cancel_wait = true;
        enum gp_wake why = gp__hub_park_until(deadline, GP_INTR_NEVER);
        self->cancel_wait = false;
        if (why == GP_WAKE_TIMEOUT)
            return;
        gp__cancel_point();
    }
}

int gp__api_wait(const void *key, size_t *waiters, int64_t deadline)
{
    if (deadline == 0)
        return -gp__api_not_yet(EAGAIN);
    struct gp_thread *self = gp__current;
    gp__cancel_point();
    ++*waiters;
    self->cancel_wait = true;
    enum gp_wake why = gp__waitq_wait(key, deadline);
    self->cancel_wait = false;
    --*waiters;
    gp__cancel_point();
    return why == GP_WAKE_TIMEOUT ? -gp__api_not_yet(ETIMEDOUT) : 0;
}

GP_PUBLIC int gp_spawn(gp_thread_t *out, void *(*fn)(void *), void *arg)
{
    if (!fn)
        return EINVAL;
    struct gp_thread *t;
    int r = gp__api_spawn(&t, false, fn, arg);
    if (r < 0)
        return -r;
    if (out)
        out->id = gp__handle_publish(t);
    return 0;
}

/* A deferred task (gp_spawn_after): its thread runs this first, which sleeps out the delay
 * and then calls fn. The sleep is a cancellation point, so that gp_kill ends the thread
 * before fn runs. */
struct deferred {
    void *(*fn)(void *);
    void *arg;
    int64_t start_at; /* deadline (clock.h) */
};

static void *run_deferred(void *p)
{
    struct deferred d = *(struct deferred *)p;
    free(p);
    sleep_until(d.start_at);
    return d.fn(d.arg);
}

GP_PUBLIC int gp_spawn_after(gp_thread_t *out, uint64_t delay_ns, void *(*fn)(void *), void *arg)
{
    if (!fn)
        return EINVAL;
    int64_t delay = delay_ns > INT64_MAX ? INT64_MAX : (int64_t)delay_ns;
    struct deferred *d = malloc(sizeof *d);
    if (!d)
        return EAGAIN;
    *d = (struct deferred){.fn = fn, .arg = arg};
    struct gp_thread *t;
    int r = gp__api_spawn(&t, false, run_deferred, d);
    if (r < 0) {
        free(d);
        return -r;
    }
    /* From now: the first spawn starts the scheduler, which takes a while. The thread
     * does not run before the caller waits. */
    d->start_at = gp__deadline_after(delay);
    if (out)
        out->id = gp__handle_publish(t);
    return 0;
}

/* The live thread behind handle h, for a green caller. */
static int resolve(gp_thread_t h, struct gp_thread **t)
{
    /* Not from a signal handler run at once: it may have interrupted the scheduler in the
     * middle of a change of its run queue. */
    if (!gp__sched_green() || gp__signal_in_handler())
        return EPERM;
    *t = gp__handle_lookup(h.id);
    return *t ? 0 : ESRCH;
}

GP_PUBLIC int gp_join(gp_thread_t h, void **result)
{
    struct gp_thread *t;
    int r = resolve(h, &t);
    if (r)
        return r;
    gp__cancel_point();
    r = gp__sched_join(t, result, GP_NO_DEADLINE); /* the scope bounds it in there */
    return gp__api_not_yet(r < 0 ? -r : 0);
}

GP_PUBLIC int gp_detach(gp_thread_t h)
{
    struct gp_thread *t;
    int r = resolve(h, &t);
    if (r)
        return r;
    r = gp__sched_detach(t);
    return r < 0 ? -r : 0;
}

/* What a thread killed before it first ran runs instead of its start routine. */
static void *never_started(void *unused)
{
    (void)unused;
    return GP_KILLED;
}

GP_PUBLIC int gp_kill(gp_thread_t h)
{
    struct gp_thread *t;
    int r = resolve(h, &t);
    if (r)
        return r;
    if (!t->fiber.started) {
        /* It has not run: it never will, and ends as soon as it gets its turn (running
         * nothing of the program's: it registered no cleanup handler and no key). */
        if (t->start == run_deferred)
            free(t->arg);
        t->start = never_started;
        t->arg = NULL;
        return 0;
    }
    gp__cancel_request(t);
    if (t == gp__current)
        gp__cancel_act(); /* returns only when the caller disabled cancellation */
    return 0;
}

GP_PUBLIC gp_thread_t gp_self(void)
{
    gp_thread_t none = {0};
    return gp__sched_green() ? (gp_thread_t){gp__handle_publish(gp__current)} : none;
}

GP_PUBLIC int gp_setname(gp_thread_t h, const char *name)
{
    if (!name)
        return EINVAL;
    struct gp_thread *t;
    int r = resolve(h, &t);
    if (r)
        return r;
    return -gp__identity_set_name(t, name);
}

GP_PUBLIC int gp_getname(gp_thread_t h, char *buf, size_t len)
{
    if (!buf)
        return EINVAL;
    struct gp_thread *t;
    int r = resolve(h, &t);
    if (r)
        return r;
    size_t n = strnlen(t->name, sizeof t->name);
    if (len <= n)
        return ERANGE;
    memcpy(buf, t->name, n);
    buf[n] = '\0';
    return 0;
}

GP_PUBLIC void gp_yield(void) { gp__sched_yield(); }

GP_PUBLIC int gp_sleep(uint64_t nsec)
{
    int64_t ns = nsec > INT64_MAX ? INT64_MAX : (int64_t)nsec;
    /* A signal handler run at once may have interrupted the scheduler itself: it sleeps
     * the OS thread, as a handler's sleep does natively. */
    if (!gp__sched_green() || gp__signal_in_handler()) {
        struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        while (gp__real.clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
            ;
        return 0;
    }
    int64_t wanted = gp__deadline_after(ns), deadline = gp__timeout_bound(wanted);
    if (ns == 0) {
        gp__cancel_point();
        gp__sched_yield(); /* eventlet.sleep(0): the others' turn */
    }
    sleep_until(deadline);
    return gp__api_not_yet(gp__timeout_cut(wanted) ? ETIMEDOUT : 0);
}

/* gp_offload's call, in the pool's calling convention. */
struct offloaded {
    void *(*fn)(void *);
    void *arg;
    void *result;
};

static long run_offloaded(void *p)
{
    struct offloaded *o = p;
    o->result = o->fn(o->arg);
    return 0;
}

GP_PUBLIC int gp_offload(void *(*fn)(void *), void *arg, void **result)
{
    struct offloaded o = {.fn = fn, .arg = arg};
    gp__pool_offload(run_offloaded, &o);
    if (result)
        *result = o.result;
    return 0;
}
