/* See timeout.h: the public calls of timeout scopes (greenpatch.h). */
#include "timeout.h"

#include "api.h"
#include "greenpatch.h"
#include "init.h"

/* The calling green thread, starting the scheduler for a program's main thread before any
 * spawn, as gp_spawn does; NULL (EPERM) where gp_spawn would say EPERM too. */
static struct gp_thread *scope_owner(void)
{
    if (!gp__init() || !gp__api_may_manage() || gp__sched_start() < 0)
        return NULL;
    return gp__current;
}

GP_PUBLIC int gp_timeout_push(uint64_t nsec)
{
    struct gp_thread *t = scope_owner();
    if (!t)
        return EPERM;
    if (t->timeout_depth == GP_TIMEOUT_DEPTH)
        return EOVERFLOW;
    int64_t deadline = gp__deadline_after(nsec > INT64_MAX ? INT64_MAX : (int64_t)nsec);
    if (deadline > t->timeout_deadline)
        deadline = t->timeout_deadline; /* an inner scope never extends an outer one */
    t->timeout_stack[t->timeout_depth++] = t->timeout_deadline; /* what the pop restores */
    t->timeout_deadline = deadline;
    return 0;
}

GP_PUBLIC int gp_timeout_pop(void)
{
    struct gp_thread *t = gp__sched_green() ? gp__current : NULL;
    if (!t || !t->timeout_depth)
        return EINVAL;
    bool passed = gp__now_ns() >= t->timeout_deadline;
    t->timeout_deadline = t->timeout_stack[--t->timeout_depth];
    return passed ? ETIMEDOUT : 0;
}

GP_PUBLIC int64_t gp_timeout_left(void)
{
    struct gp_thread *t = gp__sched_green() ? gp__current : NULL;
    if (!t || t->timeout_deadline == GP_NO_DEADLINE)
        return GP_FOREVER;
    int64_t left = t->timeout_deadline - gp__now_ns();
    return left > 0 ? left : 0;
}

GP_PUBLIC void gp_timeout_scope_end(int *pushed)
{
    /* Only a push that succeeded opened a scope to close. */
    if (*pushed == 0)
        gp_timeout_pop();
}
