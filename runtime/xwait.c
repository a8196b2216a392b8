/* See xwait.h. */
#include "xwait.h"

#include "cancel.h"
#include "clock.h"
#include "greenpatch.h"
#include "init.h"
#include "inspect.h"
#include "real.h"
#include "scheduler.h"
#include "waitq.h"

#include <errno.h>
#include <stdlib.h>

bool gp__xobj_alive(const struct gp_xobj *o, uint32_t magic)
{
    return o && __atomic_load_n(&o->magic, __ATOMIC_RELAXED) == magic;
}

void gp__xobj_init(struct gp_xobj *o, uint32_t magic)
{
    *o = (struct gp_xobj){.magic = magic, .lock = PTHREAD_MUTEX_INITIALIZER};
}

void gp__xobj_unlock(struct gp_xobj *o) { gp__real.pthread_mutex_unlock(&o->lock); }

int gp__xobj_lock(struct gp_xobj *o, uint32_t magic)
{
    if (!gp__init())
        return EAGAIN; /* called from inside dlsym, before the real functions are known */
    if (!gp__xobj_alive(o, magic))
        return EINVAL;
    gp__real.pthread_mutex_lock(&o->lock);
    /* A destroy that came first (the program's bug, but EINVAL is what it was promised as
     * long as the memory was not reused). */
    if (o->magic != magic) {
        gp__xobj_unlock(o);
        return EINVAL;
    }
    return 0;
}

int gp__xobj_enter(struct gp_xobj *o, uint32_t magic, int64_t timeout_ns)
{
    if (!gp__api_timeout_ok(timeout_ns))
        return EINVAL;
    if (timeout_ns != 0)
        gp__cancel_point(); /* a wait: a cancellation point even when it need not wait */
    return gp__xobj_lock(o, magic);
}

int gp__xobj_destroy(struct gp_xobj *o, uint32_t magic, void *also)
{
    int r = gp__xobj_lock(o, magic);
    if (r)
        return r;
    if (o->waiting) {
        gp__xobj_unlock(o);
        return EBUSY;
    }
    o->magic = 0;
    gp__xobj_unlock(o);
    free(also);
    free(o);
    return 0;
}

struct gp_xwaiter *gp__xwaiter_first(struct gp_list *list)
{
    return gp__list_empty(list) ? NULL : GP_CONTAINER_OF(list->next, struct gp_xwaiter, link);
}

void gp__xwake(struct gp_xwaiter *w, int result, void *value)
{
    gp__list_remove(&w->link);
    w->done = true;
    w->result = result;
    w->value = value;
    if (!w->green) {
        /* Under the lock, which the waiter needs to return from its wait: the condition
         * variable on its stack is not touched after this call. */
        gp__real.pthread_cond_signal(&w->cond);
    } else if (gp__current) {
        gp__waitq_wake(w, 1); /* the scheduler's OS thread: the wait table is ours */
    } else {
        w->posted = true;
        w->unpark.thread = w->green;
        gp__hub_post_unpark(&w->unpark);
    }
}

void gp__xwake_all(struct gp_list *list, int result, void *value)
{
    struct gp_xwaiter *w;
    while ((w = gp__xwaiter_first(list)))
        gp__xwake(w, result, value);
}

/* A green waiter's park, lock released around it. Ends once w->done, the deadline passed
 * (false), or ends the thread for a cancellation (after taking w off its list). */
static bool wait_green(struct gp_xobj *o, struct gp_xwaiter *w, int64_t deadline)
{
    struct gp_thread *self = w->green;
    for (;;) {
        if (w->done)
            break;
        if (gp__cancel_due()) {
            /* pthread_cancel or gp_kill woke it (or came while it was runnable): off the
             * list, out of the count, the lock given back, and only then the unwinding,
             * which passes through frames that have no cleanups. */
            gp__list_remove(&w->link);
            o->waiting--;
            gp__xobj_unlock(o);
            gp__cancel_exit(PTHREAD_CANCELED);
        }
        if (gp__now_ns() >= deadline)
            return false;
        self->cancel_wait = true;
        gp__inspect_say(GP_PARK_QUEUE, o);
        gp__xobj_unlock(o);
        gp__waitq_wait(w, deadline);
        self->cancel_wait = false;
        gp__real.pthread_mutex_lock(&o->lock);
    }
    if (w->posted) {
        /* A stranger's unpark: the hub still reads its node, on this stack. It unparks this
         * thread when it takes it (and only runs while this thread is parked). */
        gp__xobj_unlock(o);
        while (!__atomic_load_n(&w->unpark.taken, __ATOMIC_ACQUIRE))
            gp__hub_park_until(GP_NO_DEADLINE, GP_INTR_NEVER);
        gp__real.pthread_mutex_lock(&o->lock);
    }
    return true;
}

/* A stranger's wait in the kernel, on w's condition variable with the object's lock.
 * glibc's condition waits are cancellation points, and a cancellation there would unwind
 * with the waiter still queued: cancellation is held off for the wait (a request is acted
 * on at the thread's next cancellation point). */
static bool wait_kernel(struct gp_xobj *o, struct gp_xwaiter *w, int64_t deadline)
{
    int state;
    gp__real.pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
    struct timespec at = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    bool timed_out = false;
    while (!w->done && !timed_out) {
        if (deadline == GP_NO_DEADLINE)
            gp__real.pthread_cond_wait(&w->cond, &o->lock);
        else
            timed_out = gp__real.pthread_cond_clockwait(&w->cond, &o->lock, CLOCK_MONOTONIC,
                                                       &at) == ETIMEDOUT;
    }
    gp__real.pthread_setcancelstate(state, NULL);
    return w->done;
}

int gp__xwait(struct gp_xobj *o, struct gp_list *list, struct gp_xwaiter *w,
              int64_t timeout_ns)
{
    bool green = gp__sched_green();
    int64_t deadline = gp__api_deadline(timeout_ns); /* a try never gets here */
    w->green = green ? gp__current : NULL;
    w->cond = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    w->unpark = (struct gp_hub_unpark){0};
    w->posted = w->done = false;
    gp__list_push_back(list, &w->link);
    o->waiting++;
    bool done = green ? wait_green(o, w, deadline) : wait_kernel(o, w, deadline);
    o->waiting--;
    if (!done) {
        gp__list_remove(&w->link);
        return ETIMEDOUT;
    }
    return w->result;
}
