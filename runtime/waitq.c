/* See waitq.h. */
#include "waitq.h"

#include "hub.h"
#include "list.h"

#include <limits.h>

enum { BUCKETS = 4096 }; /* a power of two */

struct waiter {
    struct gp_list link; /* on buckets[hash(key)] while queued */
    const void *key;
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

enum gp_wake gp__waitq_wait_intr(const void *key, int64_t deadline, enum gp_interrupt intr)
{
    struct waiter w = {.key = key, .thread = gp__current};
    gp__list_push_back(bucket_of(key), &w.link);
    enum gp_wake why = gp__hub_park_until(deadline, intr);
    /* A waker removes the waiter it wakes. One that came between the timer and our return
     * to this thread counted us as woken: report the wake, so that it is not lost. */
    if (w.link.next == &w.link && why != GP_WAKE_INTERRUPT)
        return GP_WAKE_READY;
    gp__list_remove(&w.link);
    return why;
}

enum gp_wake gp__waitq_wait(const void *key, int64_t deadline)
{
    return gp__waitq_wait_intr(key, deadline, GP_INTR_NEVER);
}

int gp__waitq_wake(const void *key, int n)
{
    struct gp_list *b = bucket_of(key);
    int woken = 0;
    for (struct gp_list *l = b->next, *next; l != b && woken < n; l = next) {
        next = l->next;
        struct waiter *w = GP_CONTAINER_OF(l, struct waiter, link);
        if (w->key != key)
            continue;
        gp__list_remove(l);
        gp__sched_unpark(w->thread, GP_WAKE_READY);
        woken++;
    }
    return woken;
}

void gp__waitq_after_fork(void)
{
    for (size_t i = 0; i < BUCKETS; i++)
        buckets[i].next = buckets[i].prev = NULL; /* bucket_of initialises on next use */
}
