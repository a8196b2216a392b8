/* See filelock.h. The table is used by green threads only, which all run on the scheduler
 * thread, so it needs no atomics. */
#include "filelock.h"

#include "clock.h"
#include "hub.h"
#include "list.h"
#include "scheduler.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

enum { BUCKETS = 64 }; /* a power of two; a bucket holds the FILEs held at once, a few */

/* A green thread waiting for a FILE; lives on its stack while it waits. */
struct lock_waiter {
    struct gp_list link; /* on file_lock.waiters until the lock is handed to it */
    struct gp_thread *thread;
};

/* One held FILE. Entries are recycled through a free list, so that steady use does not
 * allocate. */
struct file_lock {
    struct file_lock *next;   /* in its bucket, or on the free list */
    const FILE *fp;
    struct gp_thread *owner;  /* not owned */
    unsigned depth;           /* the owner's nested holds */
    struct gp_list waiters;   /* struct lock_waiter, oldest first */
};

static struct {
    struct file_lock *buckets[BUCKETS];
    struct file_lock *free;
    size_t held; /* entries in the buckets */
} locks;

static struct file_lock **bucket_of(const FILE *fp)
{
    uintptr_t k = (uintptr_t)fp;
    k ^= k >> 17;
    k *= 0x9e3779b97f4a7c15ull;
    return &locks.buckets[(k >> 40) & (BUCKETS - 1)];
}

static struct file_lock *find(const FILE *fp)
{
    if (locks.held == 0)
        return NULL;
    struct file_lock *l = *bucket_of(fp);
    while (l && l->fp != fp)
        l = l->next;
    return l;
}

/* A new entry held by the caller, or NULL without memory: the call then goes on without a
 * green lock, which only loses the exclusion between green threads, never a result. */
static struct file_lock *hold_new(FILE *fp)
{
    struct file_lock *l = locks.free;
    if (l)
        locks.free = l->next;
    else if (!(l = malloc(sizeof *l)))
        return NULL;
    struct file_lock **b = bucket_of(fp);
    *l = (struct file_lock){.next = *b, .fp = fp, .owner = gp__current, .depth = 1};
    gp__list_init(&l->waiters);
    *b = l;
    locks.held++;
    return l;
}

static void forget(struct file_lock *l)
{
    struct file_lock **p = bucket_of(l->fp);
    while (*p != l)
        p = &(*p)->next;
    *p = l->next;
    locks.held--;
    l->next = locks.free;
    locks.free = l;
}

void gp__filelock_acquire(FILE *fp)
{
    struct file_lock *l = find(fp);
    if (!l) {
        hold_new(fp);
        return;
    }
    if (l->owner == gp__current) {
        l->depth++;
        return;
    }
    struct lock_waiter w = {.thread = gp__current};
    gp__list_push_back(&l->waiters, &w.link);
    /* The releaser makes us the owner and takes us off the list before it unparks us. A
     * FILE lock is not a wait that signal handlers end (natively a futex wait). */
    while (w.link.next != &w.link)
        gp__hub_park_until(GP_NO_DEADLINE, GP_INTR_NEVER);
    assert(l->owner == gp__current && l->depth == 1);
}

bool gp__filelock_try(FILE *fp)
{
    struct file_lock *l = find(fp);
    if (l && l->owner != gp__current)
        return false;
    if (l)
        l->depth++;
    else
        hold_new(fp);
    return true;
}

void gp__filelock_release(FILE *fp)
{
    struct file_lock *l = find(fp);
    if (!l || l->owner != gp__current || --l->depth > 0)
        return;
    struct gp_list *next = gp__list_pop_front(&l->waiters);
    if (!next) {
        forget(l);
        return;
    }
    /* Handed over, not just woken: a thread that releases and at once takes the FILE again
     * (a loop of fprintf) would otherwise starve the waiters, as all run on one OS thread. */
    struct lock_waiter *w = GP_CONTAINER_OF(next, struct lock_waiter, link);
    l->owner = w->thread;
    l->depth = 1;
    gp__sched_unpark(w->thread, GP_WAKE_READY);
}

bool gp__filelock_held_by_other(const FILE *fp)
{
    struct file_lock *l = find(fp);
    return l && l->owner != gp__current;
}

void gp__filelock_after_fork(void)
{
    for (size_t i = 0; i < BUCKETS; i++) {
        while (locks.buckets[i])
            forget(locks.buckets[i]);
    }
}
