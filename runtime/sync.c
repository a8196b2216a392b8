/* See sync.h. */
#include "sync.h"

#include "cancel.h"
#include "clock.h"
#include "hub.h"
#include "inspect.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"
#include "waitq.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc's mutex kind bits (nptl/pthreadP.h): the type in the low bits, then flags. Robust,
 * priority-inheritance, priority-protect and process-shared mutexes have kernel-visible
 * protocols of their own; for those the green thread takes the real lock with trylock and
 * polls while another thread holds it. */
enum {
    KIND_TYPE_MASK = 3,
    KIND_ROBUST = 16,
    KIND_PRIO_INHERIT = 32,
    KIND_PRIO_PROTECT = 64,
    KIND_PSHARED = 128,
    KIND_SPECIAL = KIND_ROBUST | KIND_PRIO_INHERIT | KIND_PRIO_PROTECT | KIND_PSHARED,
};
/* glibc's condvar flags in __wrefs (nptl/pthread_cond_common.c). */
enum { COND_SHARED = 1, COND_CLOCK_MONOTONIC = 2 };

/* How long a green thread waits before retrying a lock that a non-green thread holds
 * (that thread's unlock wakes only the kernel's futex waiters). */
#define STRANGER_POLL_NS 1000000

static bool held_by_green(const pthread_mutex_t *m)
{
    int owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    const struct gp_thread *main = gp__sched_main();
    return owner >= GP_GREEN_LOCK_ID_BASE || (main && owner == main->lock_id);
}

static int lock_special(pthread_mutex_t *m, int64_t deadline)
{
    for (;;) {
        int r = gp__real.pthread_mutex_trylock(m);
        if (r != EBUSY)
            return -r;
        if (deadline == 0)
            return -EBUSY;
        int64_t now = gp__now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        int64_t until = deadline - now > STRANGER_POLL_NS ? now + STRANGER_POLL_NS : deadline;
        gp__inspect_say(GP_PARK_MUTEX, m);
        gp__hub_park_until(until, GP_INTR_NEVER);
    }
}

int gp__mutex_lock(pthread_mutex_t *m, int64_t deadline)
{
    int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
    if (kind & KIND_SPECIAL)
        return lock_special(m, deadline);
    int type = kind & KIND_TYPE_MASK;
    int id = gp__current->lock_id;
    if (m->__data.__owner == id) {
        if (type == PTHREAD_MUTEX_RECURSIVE_NP) {
            if (m->__data.__count == UINT_MAX)
                return -EAGAIN;
            m->__data.__count++;
            return 0;
        }
        if (type == PTHREAD_MUTEX_ERRORCHECK_NP)
            return deadline == 0 ? -EBUSY : -EDEADLK; /* glibc's trylock says EBUSY */
    }
    for (;;) {
        int unlocked = 0;
        if (__atomic_compare_exchange_n(&m->__data.__lock, &unlocked, 1, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            m->__data.__owner = id;
            if (type == PTHREAD_MUTEX_RECURSIVE_NP)
                m->__data.__count = 1;
            m->__data.__nusers++;
            return 0;
        }
        if (deadline == 0)
            return -EBUSY;
        int64_t until = deadline;
        if (!held_by_green(m)) {
            until = gp__deadline_within(STRANGER_POLL_NS, deadline);
        }
        gp__inspect_say(GP_PARK_MUTEX, m);
        if (gp__waitq_wait(m, until) == GP_WAKE_TIMEOUT && until == deadline)
            return -ETIMEDOUT;
    }
}

int gp__mutex_unlock(pthread_mutex_t *m)
{
    int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
    if (kind & KIND_SPECIAL)
        return -gp__real.pthread_mutex_unlock(m);
    int type = kind & KIND_TYPE_MASK;
    if (type == PTHREAD_MUTEX_RECURSIVE_NP || type == PTHREAD_MUTEX_ERRORCHECK_NP) {
        if (m->__data.__owner != gp__current->lock_id)
            return -EPERM;
        if (type == PTHREAD_MUTEX_RECURSIVE_NP && --m->__data.__count > 0)
            return 0;
    }
    m->__data.__owner = 0;
    m->__data.__nusers--;
    if (__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1)
        gp__real.syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    gp__waitq_wake(m, 1);
    return 0;
}

int gp__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    /* Releasing the mutex cannot switch threads, so no wake can come between the release
     * and the wait: together they are atomic, as POSIX asks. */
    int r = gp__mutex_unlock(m);
    if (r < 0)
        return r;
    /* A cancellation point: pthread_cancel wakes the wait (as a spurious wake-up). */
    gp__current->cancel_wait = true;
    gp__inspect_say(GP_PARK_COND, c);
    enum gp_wake why = gp__waitq_wait(c, gp__timeout_bound(deadline));
    gp__current->cancel_wait = false;
    /* Never bounded by a timeout scope (timeout.h): the caller holds the mutex when the
     * wait returns, whatever its result. */
    r = gp__mutex_lock(m, GP_NO_DEADLINE);
    if (r < 0)
        return r;
    /* A waiter that took a signal and is now to be cancelled passes the signal on, or the
     * waiter that should have had it might wait for ever (glibc does the same). */
    if (why == GP_WAKE_READY && gp__cancel_due())
        gp__waitq_wake(c, 1);
    return why == GP_WAKE_TIMEOUT ? -ETIMEDOUT : 0;
}

int gp__cond_wake_from_stranger(pthread_cond_t *c, bool all)
{
    int r = all ? gp__real.pthread_cond_broadcast(c) : gp__real.pthread_cond_signal(c);
    /* Green waiters wait in the wait table, which only the scheduler thread touches. */
    if (gp__sched_main() && !gp__current)
        gp__hub_post_wake(c, all ? INT_MAX : 1);
    return -r;
}

int gp__cond_wake(pthread_cond_t *c, bool all)
{
    gp__waitq_wake(c, all ? INT_MAX : 1);
    /* A real waiter (an OS thread the scheduler does not run) waits in glibc's own state;
     * with none, these return after one load. */
    return -(all ? gp__real.pthread_cond_broadcast(c) : gp__real.pthread_cond_signal(c));
}

clockid_t gp__cond_clock(const pthread_cond_t *c)
{
    return (c->__data.__wrefs & COND_CLOCK_MONOTONIC) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

bool gp__cond_shared(const pthread_cond_t *c) { return c->__data.__wrefs & COND_SHARED; }
