/* What the explicit API's files (api.c, greenpool.c) share: exporting a gp_* name, starting
 * green threads for the program, and the waits of its calls, which are cancellation
 * points bounded by the caller's timeout scope (greenpatch.h, "Waits"). */
#ifndef GP_API_H
#define GP_API_H

#include "clock.h"
#include "greenpatch.h"
#include "scheduler.h"
#include "timeout.h"

#include <errno.h>
#include <stdint.h>

#define GP_PUBLIC __attribute__((visibility("default")))

/* A call's timeout_ns is GP_FOREVER, 0 (a try) or positive; anything else is EINVAL. */
static inline bool gp__api_timeout_ok(int64_t timeout_ns)
{
    return timeout_ns >= 0 || timeout_ns == GP_FOREVER;
}

/* The deadline of a wait for a valid timeout_ns, bounded by the calling green thread's
 * timeout scope (timeout.h); a try's 0 stays 0. */
static inline int64_t gp__api_deadline(int64_t timeout_ns)
{
    if (timeout_ns == 0)
        return 0;
    return gp__timeout_bound(timeout_ns == GP_FOREVER ? GP_NO_DEADLINE
                                                      : gp__deadline_after(timeout_ns));
}

/* What a call that waited or tried returns: one that found nothing (EAGAIN) or ran out of
 * time (ETIMEDOUT) gives the other green threads a turn, as the shim's calls do, so that a
 * loop of tries, or of waits in a timeout scope that has passed (which fail at once),
 * freezes no one. At the end of the call, with no lock held and nothing registered: a
 * cancellation request that comes meanwhile acts at the next cancellation point. Returns r. */
static inline int gp__api_not_yet(int r)
{
    if ((r == EAGAIN || r == ETIMEDOUT) && gp__sched_green())
        gp__sched_yield();
    return r;
}

/* The caller may start or manage green threads: it is a green thread, or the OS thread
 * that will become the scheduler's at its first spawn; not the hub, not another OS thread,
 * not a signal handler run at once, and the shim is not disabled. */
bool gp__api_may_manage(void);

/* Starts fn(arg) as a green thread for the program, starting the scheduler on the calling
 * OS thread if it is the first. Returns 0, -EPERM (not gp__api_may_manage), -EAGAIN. */
int gp__api_spawn(struct gp_thread **out, bool detached, void *(*fn)(void *), void *arg);

/* One wait of a green thread's explicit call on key (waitq.h), until a gp__waitq_wake of
 * key or deadline (0: no wait at all), counted in *waiters while it lasts so that the
 * object is not destroyed under it. A cancellation point: gp_kill and
 * pthread_cancel end the caller here, with the count undone. Returns 0 when woken,
 * -ETIMEDOUT once the deadline has passed, -EAGAIN for a try; the caller looks at its
 * condition again either way. */
int gp__api_wait(const void *key, size_t *waiters, int64_t deadline);

#endif
