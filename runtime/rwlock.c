/* See rwlock.h. */
#include "rwlock.h"

#include "clock.h"
#include "hub.h"
#include "real.h"
#include "scheduler.h"
#include "waitq.h"

#include <errno.h>
#include <limits.h>

/* How long a green waiter sleeps before trying again a lock that a stranger or another
 * process may change without waking it. */
#define STRANGER_POLL_NS 1000000

/* Some OS thread the scheduler does not run has locked an rwlock. */
static bool strangers_lock;

void gp__rwlock_note_stranger(void)
{
    if (gp__sched_main() && !gp__current && !__atomic_load_n(&strangers_lock, __ATOMIC_RELAXED))
        __atomic_store_n(&strangers_lock, true, __ATOMIC_RELAXED);
}

/* Writer preference. With PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, glibc holds back
 * new readers while a writer waits: a waiting writer announces itself in the lock word,
 * which glibc's readers look at. A green writer never waits in glibc, so it counts itself
 * here instead, and green readers look at this count too. Only a few such locks are waited
 * on at once; when the table is full, readers of the others are not held back. */
enum { PREFERRING_MAX = 64 };
static struct preferring {
    const pthread_rwlock_t *lock; /* NULL: free */
    int writers;                  /* green writers waiting for it */
    pid_t os_tid;                 /* gp__sched_os_tid() then: a fork child has new ones */
} preferring[PREFERRING_MAX];

static bool prefers_writers(const pthread_rwlock_t *l)
{
    return l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

/* l's entry; when there is none, a new one if add says so, else NULL. */
static struct preferring *preferring_entry(const pthread_rwlock_t *l, bool add)
{
    pid_t tid = gp__sched_os_tid();
    struct preferring *free_entry = NULL;
    for (int i = 0; i < PREFERRING_MAX; i++) {
        struct preferring *p = &preferring[i];
        if (p->lock && p->os_tid != tid)
            p->lock = NULL; /* the parent's writers, which a fork child does not have */
        if (p->lock == l)
            return p;
        if (!p->lock && !free_entry)
            free_entry = p;
    }
    if (!add || !free_entry)
        return NULL;
    *free_entry = (struct preferring){.lock = l, .os_tid = tid};
    return free_entry;
}

static void count_waiting_writer(const pthread_rwlock_t *l, int delta)
{
    struct preferring *p = preferring_entry(l, delta > 0);
    if (p && (p->writers += delta) == 0)
        p->lock = NULL;
}

static int try_lock(pthread_rwlock_t *l, bool write)
{
    if (!write && prefers_writers(l) && preferring_entry(l, false))
        return -EBUSY;
    int r = write ? gp__real.pthread_rwlock_trywrlock(l) : gp__real.pthread_rwlock_tryrdlock(l);
    if (r == 0 && write)
        __atomic_store_n(&l->__data.__cur_writer, gp__current->lock_id, __ATOMIC_RELAXED);
    return -r;
}

int gp__rwlock_lock(pthread_rwlock_t *l, bool write, int64_t deadline)
{
    /* glibc's rdlock and wrlock report a lock the caller holds for writing (not the
     * try-locks, which say EBUSY). */
    if (deadline != 0 &&
        __atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == gp__current->lock_id)
        return -EDEADLK;
    int r = try_lock(l, write);
    if (r != -EBUSY || deadline == 0)
        return r;
    bool counted = write && prefers_writers(l);
    if (counted)
        count_waiting_writer(l, 1);
    while (r == -EBUSY) {
        int64_t until = deadline;
        if (l->__data.__shared || __atomic_load_n(&strangers_lock, __ATOMIC_RELAXED)) {
            until = gp__deadline_within(STRANGER_POLL_NS, deadline);
        }
        if (gp__waitq_wait(l, until) == GP_WAKE_TIMEOUT && until == deadline)
            r = -ETIMEDOUT;
        else
            r = try_lock(l, write);
    }
    if (counted) {
        count_waiting_writer(l, -1);
        if (r == -ETIMEDOUT)
            gp__waitq_wake(l, INT_MAX); /* readers held back for this writer may go now */
    }
    return r;
}

int gp__rwlock_unlock(pthread_rwlock_t *l)
{
    if (__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == gp__current->lock_id)
        __atomic_store_n(&l->__data.__cur_writer, gp__sched_os_tid(), __ATOMIC_RELAXED);
    int r = gp__real.pthread_rwlock_unlock(l);
    gp__waitq_wake(l, INT_MAX);
    return -r;
}

int gp__rwlock_unlock_from_stranger(pthread_rwlock_t *l)
{
    int r = gp__real.pthread_rwlock_unlock(l);
    if (gp__sched_main())
        gp__hub_post_wake(l, INT_MAX); /* without memory for it, the waiters' polls remain */
    return -r;
}
