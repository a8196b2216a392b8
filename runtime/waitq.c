/* See waitq.h. */
#include "waitq.h"

#include "hub.h"
#include "inspect.h"
#include "list.h"
#include "signals.h"

#include <limits.h>

enum { BUCKETS = 4096 }; /* a power of two */

struct waiter {
    struct gp_list link; /* on buckets[hash(key)] while queued */
    const void *key;
    uint32_t bits;       /* the wakes it takes (futex bitsets) */
    struct gp_thread *thread;
};

static struct gp_list buckets[BUCKETS];

static struct gp_list *bucket_of(const void *key)
{
    uintptr_t k = (uintptr_t)key;
    k ^= k >> 17;
    k *= 0x9e3779b97f4a7c15ull;
    struct gp_list *b = &buckets[(k >> 40) & (BUCKETS - 1)];
    if (!b->next)
        gp__list_init(b);
    return b;
}

/* One park on the queue, as intr says for signal handlers (GP_INTR_NEVER also when the
 * signal bracket is the caller's). *woken says whether a waker took the waiter off: one
 * that came between the timer (or a signal) and the return to this thread counted it as
 * woken. */
static enum gp_wake park_queued(const void *key, uint32_t bits, int64_t deadline,
                                enum gp_interrupt intr, bool *woken)
{
    struct waiter w = {.key = key, .bits = bits, .thread = gp__current};
    gp__list_push_back(bucket_of(key), &w.link);
    gp__inspect_say_default(GP_PARK_QUEUE, key);
    enum gp_wake why = gp__hub_park_until(deadline, intr);
    *woken = w.link.next == &w.link;
    gp__list_remove(&w.link);
    return why;
}

enum gp_wake gp__waitq_wait_intr(const void *key, int64_t deadline, enum gp_interrupt intr)
{
    bool woken;
    enum gp_wake why = park_queued(key, GP_WAITQ_ALL_BITS, deadline, intr, &woken);
    /* A wake that came is reported, so that it is not lost; an interrupt wins over it. */
    return woken && why != GP_WAKE_INTERRUPT ? GP_WAKE_READY : why;
}

enum gp_wake gp__waitq_wait(const void *key, int64_t deadline)
{
    return gp__waitq_wait_intr(key, deadline, GP_INTR_NEVER);
}

enum gp_wake gp__waitq_wait_bits(const void *key, uint32_t bits, int64_t deadline,
                                 enum gp_interrupt intr)
{
    struct gp_thread *self = gp__current;
    gp__signal_enter_wait(self, intr);
    bool woken;
    enum gp_wake why = park_queued(key, bits, deadline, GP_INTR_NEVER, &woken);
    gp__signal_leave_wait(self);
    if (woken)
        why = GP_WAKE_READY;
    if (!gp__signal_has_deferred(self))
        return why == GP_WAKE_INTERRUPT ? GP_WAKE_SIGNAL : why;
    enum gp_handlers_ran ran = gp__signal_run_deferred(self);
    if (why != GP_WAKE_INTERRUPT)
        return why;
    bool restarts = ran == GP_HANDLERS_NONE ||
                    (ran == GP_HANDLERS_RESTART && intr == GP_INTR_UNLESS_RESTART);
    return restarts ? GP_WAKE_SIGNAL : GP_WAKE_INTERRUPT;
}

int gp__waitq_wake_bits(const void *key, int n, uint32_t bits)
{
    struct gp_list *b = bucket_of(key);
    int woken = 0;
    for (struct gp_list *l = b->next, *next; l != b && woken < n; l = next) {
        next = l->next;
        struct waiter *w = GP_CONTAINER_OF(l, struct waiter, link);
        if (w->key != key || !(w->bits & bits))
            continue;
        gp__list_remove(l);
        gp__sched_unpark(w->thread, GP_WAKE_READY);
        woken++;
    }
    return woken;
}

int gp__waitq_wake(const void *key, int n)
{
    return gp__waitq_wake_bits(key, n, GP_WAITQ_ALL_BITS);
}

void gp__waitq_after_fork(void)
{
    for (size_t i = 0; i < BUCKETS; i++)
        buckets[i].next = buckets[i].prev = NULL; /* bucket_of initialises on next use */
}
