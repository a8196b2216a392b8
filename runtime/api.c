/* The public API (greenpatch.h) over the scheduler. */
#include "greenpatch.h"

#include "clock.h"
#include "config.h"
#include "handles.h"
#include "hub.h"
#include "init.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"

#include <errno.h>

#define GP_PUBLIC __attribute__((visibility("default")))

/* The caller may start or manage green threads: not the hub, not an OS thread other than
 * the scheduler's, and not with the shim disabled. */
static bool may_manage(void)
{
    return !gp__config.disabled && !(gp__current && gp__current->is_hub) &&
           !(!gp__current && gp__sched_main());
}

GP_PUBLIC int gp_spawn(gp_thread_t *out, void *(*fn)(void *), void *arg)
{
    if (!gp__init())
        return EAGAIN;
    if (!may_manage() || !fn)
        return fn ? EPERM : EINVAL;
    struct gp_spawn_opts opts = {0};
    struct gp_thread *t;
    int r = gp__sched_spawn(&t, &opts, fn, arg);
    if (r < 0)
        return -r;
    if (out)
        out->id = gp__handle_publish(t);
    return 0;
}

/* The live thread behind handle h, for a green caller. */
static int resolve(gp_thread_t h, struct gp_thread **t)
{
    if (!gp__sched_green())
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
    r = gp__sched_join(t, result, GP_NO_DEADLINE);
    return r < 0 ? -r : 0;
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

GP_PUBLIC void gp_yield(void) { gp__sched_yield(); }

GP_PUBLIC int gp_sleep(uint64_t nsec)
{
    if (!gp__sched_green()) {
        struct timespec ts = {.tv_sec = (time_t)(nsec / 1000000000), .tv_nsec = (long)(nsec % 1000000000)};
        while (gp__real.clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
            ;
        return 0;
    }
    int64_t deadline = gp__deadline_after(nsec > INT64_MAX ? INT64_MAX : (int64_t)nsec);
    gp__hub_park_until(gp__timeout_bound(deadline), GP_INTR_NEVER);
    return gp__timeout_cut(deadline) ? ETIMEDOUT : 0;
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

GP_PUBLIC gp_thread_t gp_self(void)
{
    gp_thread_t none = {0};
    return gp__sched_green() ? (gp_thread_t){gp__handle_publish(gp__current)} : none;
}
