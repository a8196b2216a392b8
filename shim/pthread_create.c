/* Green threads for the program's pthreads.
 * Interposes: pthread_create, pthread_join, pthread_tryjoin_np, pthread_timedjoin_np,
 * pthread_clockjoin_np, pthread_detach, pthread_self. (pthread_equal is left to glibc: it
 * compares the handles, which are unique for green threads too. pthread_exit is in
 * pthread_exit.c.)
 *
 * A green thread's pthread_t is its struct gp_thread; the main thread keeps the pthread_t
 * glibc gave it, so that glibc functions the shim does not interpose still work on it.
 * The joins that wait are cancellation points (runtime/cancel.h).
 *
 * coverage cooperative: pthread_join pthread_timedjoin_np pthread_clockjoin_np */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "config.h"
#include "diag.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>


/* Reads the attributes a program may set. The stack size counts only when the program
 * chose one: glibc's default (the RLIMIT_STACK size) means "not set", and then
 * GREENPATCH_STACK_SIZE applies. */
static void spawn_opts(const pthread_attr_t *attr, struct gp_spawn_opts *o)
{
    *o = (struct gp_spawn_opts){.guard_size = gp__config.guard_size};
    if (!attr)
        return;
    int state;
    size_t size, guard;
    void *addr;
    if (pthread_attr_getdetachstate(attr, &state) == 0)
        o->detached = state == PTHREAD_CREATE_DETACHED;
    if (pthread_attr_getstacksize(attr, &size) == 0 && size != gp__config.native_stack_size)
        o->stack_size = size;
    if (pthread_attr_getguardsize(attr, &guard) == 0)
        o->guard_size = guard;
    /* glibc reports an unset stack address as one stack size below address zero
     * (stackaddr - stacksize with stackaddr NULL): that is how "not set" looks. */
    if (pthread_attr_getstack(attr, &addr, &size) == 0 && (uintptr_t)addr + size != 0) {
        o->stack_addr = addr;
        o->stack_size = size;
        o->guard_size = 0; /* glibc ignores the guard size for a program-supplied stack */
    }
}

GP_EXPORT_VERSIONS(pthread_create, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                           void *(*start)(void *), void *arg)
{
    int saved = errno;
    if (!gp__init() || gp__config.disabled || (gp__current == NULL && gp__sched_main()) ||
        (gp__current && gp__current->is_hub))
        return gp__real.pthread_create(thread, attr, start, arg);
    struct gp_spawn_opts o;
    spawn_opts(attr, &o);
    struct gp_thread *t;
    int r = gp__sched_spawn(&t, &o, start, arg);
    if (r < 0 && !gp__current) {
        /* The scheduler could not start (no libev, no memory): the program still runs,
         * with OS threads, and says so once. */
        gp__diag("cannot start green threads (%s); threads run as OS threads", strerror(-r));
        gp__config.disabled = true;
        return gp__real.pthread_create(thread, attr, start, arg);
    }
    if (r == 0)
        *thread = gp__sched_handle(t);
    return gp_return_error(r, saved);
}

/* The green thread behind h, when the caller is a green thread and h is one. */
static struct gp_thread *green_target(pthread_t h) { return gp_green() ? gp__sched_from_handle(h) : NULL; }

GP_EXPORT_VERSIONS(pthread_join, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_join(pthread_t h, void **result)
{
    gp__cancel_point();
    int saved = errno;
    struct gp_thread *t = green_target(h);
    if (!t)
        return gp__real.pthread_join(h, result);
    return gp_return_error(gp__sched_join(t, result, GP_NO_DEADLINE), saved);
}

GP_EXPORT_VERSIONS(pthread_tryjoin_np, "GLIBC_2.34", "GLIBC_2.3.3")
int gp_shim_pthread_tryjoin_np(pthread_t h, void **result)
{
    int saved = errno;
    struct gp_thread *t = green_target(h);
    if (!t)
        return gp__real.pthread_tryjoin_np(h, result);
    return gp_return_error(gp__sched_join(t, result, 0), saved);
}

/* The timed joins: no time means no timeout, and an invalid time is reported only when the
 * join would have to wait (glibc's __pthread_clockjoin_ex). */
static int timed_join(struct gp_thread *t, void **result, clockid_t clock,
                      const struct timespec *abstime)
{
    int saved = errno;
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    int r;
    if (!abstime) {
        r = gp__sched_join(t, result, GP_NO_DEADLINE);
    } else if (!gp__timespec_valid(abstime)) {
        r = gp__sched_join(t, result, 0);
        if (r == -EBUSY)
            r = -EINVAL;
    } else {
        int64_t deadline = gp__deadline_from_abs(clock, abstime);
        r = gp__sched_join(t, result, deadline > 0 ? deadline : 1); /* 0 would mean "try" */
    }
    return gp_return_error(r, saved);
}

GP_EXPORT_VERSIONS(pthread_timedjoin_np, "GLIBC_2.34", "GLIBC_2.3.3")
int gp_shim_pthread_timedjoin_np(pthread_t h, void **result, const struct timespec *abstime)
{
    gp__cancel_point();
    struct gp_thread *t = green_target(h);
    if (!t)
        return gp__real.pthread_timedjoin_np(h, result, abstime);
    return timed_join(t, result, CLOCK_REALTIME, abstime);
}

GP_EXPORT_VERSIONS(pthread_clockjoin_np, "GLIBC_2.34", "GLIBC_2.31")
int gp_shim_pthread_clockjoin_np(pthread_t h, void **result, clockid_t clock,
                                 const struct timespec *abstime)
{
    gp__cancel_point();
    struct gp_thread *t = green_target(h);
    if (!t)
        return gp__real.pthread_clockjoin_np(h, result, clock, abstime);
    return timed_join(t, result, clock, abstime);
}

GP_EXPORT_VERSIONS(pthread_detach, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_detach(pthread_t h)
{
    int saved = errno;
    struct gp_thread *t = green_target(h);
    if (!t)
        return gp__real.pthread_detach(h);
    return gp_return_error(gp__sched_detach(t), saved);
}

GP_EXPORT pthread_t pthread_self(void)
{
    if (!gp_green())
        return gp__real.pthread_self();
    return gp__sched_handle(gp__current);
}
