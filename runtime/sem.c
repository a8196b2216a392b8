/* See sem.h. */
#include "sem.h"

#include "clock.h"
#include "hub.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"
#include "signals.h"
#include "timeout.h"
#include "waitq.h"

#include <errno.h>

/* glibc 2.36's struct new_sem (sysdeps/nptl/internaltypes.h) on x86_64. */
struct glibc_sem {
    uint64_t data;    /* the value in the low 32 bits, kernel waiters in the high 32 */
    int shared_flag;  /* 0 for a private semaphore, FUTEX_PRIVATE_FLAG for a shared one */
    int pad;
};
_Static_assert(sizeof(struct glibc_sem) <= sizeof(sem_t), "glibc's sem_t layout");

/* How many green threads wait on some semaphore. A post through the hub (a stranger's, a
 * signal handler's) is made only when there are any. The post adds its token, then reads
 * this; a waiter counts itself here, then looks for a token: with both orders sequentially
 * consistent, one of the two sees the other, and no wake-up is lost. */
static unsigned long green_waiters;

/* A process-shared (sem_init with pshared != 0) or named (sem_open) semaphore. */
static bool shared(const sem_t *s) { return ((const struct glibc_sem *)s)->shared_flag != 0; }

static bool take_token(struct glibc_sem *s)
{
    uint64_t d = __atomic_load_n(&s->data, __ATOMIC_SEQ_CST);
    while ((uint32_t)d > 0)
        if (__atomic_compare_exchange_n(&s->data, &d, d - 1, true, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return true;
    return false;
}

/* A wait on a shared semaphore, on a worker: glibc's own wait, which another process's
 * post wakes. The deadline is on CLOCK_MONOTONIC, as gp__now_ns counts. */
struct shared_wait {
    sem_t *sem;
    int64_t deadline;
};

static long wait_on_worker(void *arg)
{
    const struct shared_wait *w = arg;
    int r;
    if (w->deadline == GP_NO_DEADLINE) {
        r = gp__real.sem_wait(w->sem);
    } else {
        int64_t at = w->deadline > 0 ? w->deadline : 0;
        struct timespec ts = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000};
        r = gp__real.sem_clockwait(w->sem, CLOCK_MONOTONIC, &ts);
    }
    return r == 0 ? 0 : -errno;
}

int gp__sem_wait(sem_t *sem, int64_t deadline)
{
    struct glibc_sem *s = (struct glibc_sem *)sem;
    if (take_token(s))
        return 0;
    if (shared(sem)) {
        /* The worker's kernel wait ends at the timeout scope's deadline (timeout.h). */
        struct shared_wait w = {.sem = sem, .deadline = gp__timeout_bound(deadline)};
        return (int)gp__pool_call(wait_on_worker, &w);
    }
    /* As the kernel's FUTEX_WAIT_BITSET under glibc: without a timeout a handler with
     * SA_RESTART restarts the wait; with one, any handler ends it. */
    enum gp_interrupt intr = deadline == GP_NO_DEADLINE ? GP_INTR_UNLESS_RESTART : GP_INTR_ALWAYS;
    deadline = gp__timeout_bound(deadline); /* ETIMEDOUT at the timeout scope's end too */
    __atomic_fetch_add(&green_waiters, 1, __ATOMIC_SEQ_CST);
    int r;
    for (;;) {
        if (take_token(s)) {
            r = 0;
            break;
        }
        enum gp_wake why = gp__waitq_wait_intr(sem, deadline, intr);
        if (why == GP_WAKE_TIMEOUT) {
            r = -ETIMEDOUT;
            break;
        }
        if (why == GP_WAKE_INTERRUPT) {
            r = -EINTR;
            break;
        }
    }
    __atomic_fetch_sub(&green_waiters, 1, __ATOMIC_RELAXED);
    /* A waiter that leaves without a token may have been woken for one: pass the wake on
     * to the next waiter, so that no token is left with waiters asleep. */
    if (r < 0 && (uint32_t)__atomic_load_n(&s->data, __ATOMIC_RELAXED) > 0)
        gp__waitq_wake(sem, 1);
    return r;
}

/* glibc's sem_post adds the token (or fails with EOVERFLOW at SEM_VALUE_MAX) and wakes a
 * waiter sleeping in the kernel, if the word counts one. */
static int post(sem_t *sem) { return gp__real.sem_post(sem) == 0 ? 0 : -errno; }

int gp__sem_post(sem_t *sem)
{
    int r = post(sem);
    if (r < 0)
        return r;
    bool in_handler = gp__signal_in_handler();
    if (gp__current && !in_handler) {
        gp__waitq_wake(sem, 1);
        return 0;
    }
    /* Another OS thread, or a signal handler that may have interrupted this one anywhere
     * (sem_post is async-signal-safe): the hub wakes the waiter. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* glibc's token store is a release only */
    if (__atomic_load_n(&green_waiters, __ATOMIC_RELAXED) == 0)
        return 0;
    /* Without memory (or a slot) for the wake, the waiter is not woken, as for conds. */
    if (in_handler)
        gp__hub_post_wake_from_signal(sem);
    else
        gp__hub_post_wake(sem, 1);
    return 0;
}
