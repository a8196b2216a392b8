/* The public API (greenpatch.h) over the scheduler. */
#include "greenpatch.h"

#include "clock.h"
#include "config.h"
#include "hub.h"
#include "init.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"

#include <errno.h>

#define GP_PUBLIC __attribute__((visibility("default")))

GP_PUBLIC int gp_spawn(gp_thread_t **out, void *(*fn)(void *), void *arg)
{
    if (!gp__init())
        return EAGAIN;
    /* Not from the hub, not from an OS thread other than the scheduler's, and not when the
     * shim is disabled. */
    if ((gp__current && gp__current->is_hub) || (!gp__current && gp__sched_main()) ||
        gp__config.disabled)
        return EPERM;
    struct gp_spawn_opts opts = {0};
    int r = gp__sched_spawn(out, &opts, fn, arg);
    return r < 0 ? -r : 0;
}

GP_PUBLIC int gp_join(gp_thread_t *t, void **result)
{
    if (!gp__sched_green() || !gp__sched_lookup(t))
        return EINVAL;
    int r = gp__sched_join(t, result, GP_NO_DEADLINE);
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
    gp__hub_park_until(gp__deadline_after(nsec > INT64_MAX ? INT64_MAX : (int64_t)nsec),
                       GP_INTR_NEVER);
    return 0;
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

GP_PUBLIC gp_thread_t *gp_self(void) { return gp__sched_green() ? gp__current : NULL; }
