/* See futex.h.
 *
 * A green waiter's answers are the kernel's (futex(2)): EAGAIN when the word no longer
 * holds the expected value (checked, as the kernel does, before waiting), ETIMEDOUT at a
 * relative (FUTEX_WAIT) or absolute (FUTEX_WAIT_BITSET, on CLOCK_MONOTONIC or with
 * FUTEX_CLOCK_REALTIME on CLOCK_REALTIME) timeout, EINTR when a handler ran (without a
 * timeout the wait restarts under SA_RESTART, and a restarted wait checks the word again),
 * and a wake only for waiters whose bitset shares a bit with the waker's. One difference:
 * an unmapped address faults in the shim instead of failing with EFAULT.
 *
 * Who wakes whom. A green thread's FUTEX_WAKE wakes the green waiters first and asks the
 * kernel for the rest; it returns the sum. An OS thread the scheduler does not run cannot
 * touch the wait table: it makes the real wake and, when green waiters exist at all, posts
 * a wake for the address to the hub (which wakes them whatever their bitsets: a spurious
 * wake-up is allowed by futex semantics). Green waiters are counted so that the post is
 * skipped when nobody could be woken; waiter and waker order their accesses as the two
 * sides of a futex do (count, then value; value, then count), so no wake is missed.
 *
 * Shared futexes (no FUTEX_PRIVATE_FLAG) may be woken by another process, through the
 * kernel, where the green waiter is not. The waiter looks at the word again after a pause
 * that grows from 1 ms to 64 ms: every futex protocol changes the word before it wakes,
 * so a changed word ends the wait as a wake-up (spurious at worst). (Handing the wait to a
 * worker thread of the pool would see the kernel's wake at once, but would hold one worker
 * for as long as the wait lasts, and a timeout or a signal for the green thread would
 * have to be passed on to that worker.) */
#include "futex.h"

#include "clock.h"
#include "hub.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"
#include "waitq.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

/* Green threads parked on futexes now; read by OS threads the scheduler does not run. */
static int green_waiters;

/* Polling a shared futex: 1 ms, doubling up to 64 ms. */
#define SHARED_POLL_FIRST_NS 1000000
enum { SHARED_POLL_DOUBLINGS = 6 };

static long real_futex(uint32_t *uaddr, int op, uint32_t val, long arg4, uint32_t *uaddr2,
                       uint32_t val3)
{
    long r = gp__real.syscall(SYS_futex, uaddr, op, val, arg4, uaddr2, val3);
    return r < 0 ? -errno : r;
}

static int64_t wait_deadline(int op, const struct timespec *timeout)
{
    if (!timeout)
        return GP_NO_DEADLINE;
    if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT)
        return gp__deadline_after(gp__timespec_ns(timeout));
    clockid_t clock = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    return gp__deadline_from_abs(clock, timeout);
}

static long wait_green(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                       uint32_t bitset)
{
    if ((uintptr_t)uaddr % sizeof *uaddr || !bitset)
        return -EINVAL;
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return -EINVAL;
    int64_t deadline = wait_deadline(op, timeout);
    /* A wait with a timeout of its own ends at the timeout scope's deadline too (ETIMEDOUT,
     * which its caller expects); one without is a lock loop's that retries on any return
     * (GLib's g_mutex_lock) and is left alone (timeout.h). */
    if (timeout)
        deadline = gp__timeout_bound(deadline);
    /* signal(7): a futex wait restarts under SA_RESTART, unless it has a timeout. */
    enum gp_interrupt intr = timeout ? GP_INTR_ALWAYS : GP_INTR_UNLESS_RESTART;
    bool shared = !(op & FUTEX_PRIVATE_FLAG);
    long r;
    __atomic_add_fetch(&green_waiters, 1, __ATOMIC_SEQ_CST);
    for (int polls = 0;; polls++) {
        if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val) {
            r = polls > 0 ? 0 : -EAGAIN; /* a change seen while polling is a wake */
            break;
        }
        if (gp__now_ns() >= deadline) {
            r = -ETIMEDOUT;
            break;
        }
        int64_t until = deadline;
        if (shared) {
            int shift = polls < SHARED_POLL_DOUBLINGS ? polls : SHARED_POLL_DOUBLINGS;
            until = gp__deadline_within((int64_t)SHARED_POLL_FIRST_NS << shift, deadline);
        }
        enum gp_wake why = gp__waitq_wait_bits(uaddr, bitset, until, intr);
        if (why == GP_WAKE_READY || why == GP_WAKE_INTERRUPT) {
            r = why == GP_WAKE_READY ? 0 : -EINTR;
            break;
        }
        if (why == GP_WAKE_SIGNAL)
            polls = -1; /* restarted: checked again as a new call, EAGAIN if it changed */
    }
    __atomic_sub_fetch(&green_waiters, 1, __ATOMIC_SEQ_CST);
    return r;
}

/* The kernel wakes one waiter even when asked for none (futex_wake: the count is checked
 * after each wake). */
static int wake_count(int n) { return n > 0 ? n : 1; }

static long wake(uint32_t *uaddr, int op, int n, uint32_t bitset)
{
    if ((op & FUTEX_CMD_MASK) == FUTEX_WAKE_BITSET && !bitset)
        return -EINVAL;
    if (!gp__sched_green()) {
        long r = real_futex(uaddr, op, (uint32_t)n, 0, NULL, bitset);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        int waiting = __atomic_load_n(&green_waiters, __ATOMIC_SEQ_CST);
        if (r < 0 || waiting == 0 || r >= wake_count(n))
            return r;
        int more = wake_count(n) - (int)r;
        if (gp__hub_post_wake(uaddr, more) < 0)
            return r;
        /* The hub wakes them later: count those that are there now. */
        return r + (more < waiting ? more : waiting);
    }
    if ((uintptr_t)uaddr % sizeof *uaddr)
        return -EINVAL;
    int woken = gp__waitq_wake_bits(uaddr, wake_count(n), bitset);
    if (woken >= wake_count(n))
        return woken;
    long r = real_futex(uaddr, op, (uint32_t)(n > 0 ? n - woken : n), 0, NULL, bitset);
    return r < 0 ? (woken ? woken : r) : woken + r;
}

/* After an operation the kernel made on its own waiters (requeue, wake-op), the green
 * waiters of the addresses it touched are woken, all of them: one requeued to a word the
 * shim does not know it waits on would otherwise wait forever. */
static long wake_all_after(long r, uint32_t *uaddr, uint32_t *uaddr2)
{
    if (r < 0)
        return r;
    if (!gp__sched_green()) {
        if (__atomic_load_n(&green_waiters, __ATOMIC_SEQ_CST) > 0) {
            gp__hub_post_wake(uaddr, INT_MAX);
            if (uaddr2)
                gp__hub_post_wake(uaddr2, INT_MAX);
        }
        return r;
    }
    r += gp__waitq_wake(uaddr, INT_MAX);
    if (uaddr2)
        r += gp__waitq_wake(uaddr2, INT_MAX);
    return r;
}

long gp__futex(uint32_t *uaddr, int op, uint32_t val, long arg4, uint32_t *uaddr2, uint32_t val3)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
        if (gp__sched_others())
            return wait_green(uaddr, op, val, (const struct timespec *)arg4,
                              FUTEX_BITSET_MATCH_ANY);
        break;
    case FUTEX_WAIT_BITSET:
        if (gp__sched_others())
            return wait_green(uaddr, op, val, (const struct timespec *)arg4, val3);
        break;
    case FUTEX_WAKE:
        return wake(uaddr, op, (int)val, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
        return wake(uaddr, op, (int)val, val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        return wake_all_after(real_futex(uaddr, op, val, arg4, uaddr2, val3), uaddr, NULL);
    case FUTEX_WAKE_OP:
        return wake_all_after(real_futex(uaddr, op, val, arg4, uaddr2, val3), uaddr, uaddr2);
    default:
        /* The priority-inheritance operations (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI,
         * WAIT_REQUEUE_PI, CMP_REQUEUE_PI) keep the owner's TID in the word for the
         * kernel, which all green threads share: the kernel's answer (EDEADLK for a lock
         * held by this OS thread) is the only consistent one. Others fail at once. */
        break;
    }
    return real_futex(uaddr, op, val, arg4, uaddr2, val3);
}

void gp__futex_after_fork(void) { green_waiters = 0; }
