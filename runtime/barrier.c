/* See barrier.h. */
#include "barrier.h"

#include "clock.h"
#include "hub.h"
#include "scheduler.h"
#include "waitq.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36's struct pthread_barrier (nptl/pthreadP.h). */
struct glibc_barrier {
    unsigned int in;
    unsigned int current_round;
    unsigned int count;
    int shared; /* FUTEX_PRIVATE_FLAG for a process-shared barrier, else 0 */
    unsigned int out;
};
_Static_assert(sizeof(struct glibc_barrier) <= sizeof(pthread_barrier_t), "glibc's barrier layout");

#define BARRIER_IN_THRESHOLD (UINT_MAX / 2)

/* How long a green thread waits before looking again at a process-shared barrier, which
 * another process may complete without waking it. */
#define SHARED_POLL_NS 1000000

/* glibc's futex_wait_simple(word, val): parks while *word is val. */
static void wait_while(pthread_barrier_t *b, const unsigned int *word, unsigned int val)
{
    const struct glibc_barrier *bar = (const struct glibc_barrier *)b;
    if (__atomic_load_n(word, __ATOMIC_RELAXED) != val)
        return;
    gp__waitq_wait(b, bar->shared ? gp__deadline_after(SHARED_POLL_NS) : GP_NO_DEADLINE);
}

/* glibc's futex_wake(word, INT_MAX): every waiter, in the kernel and green. */
static void wake_all(pthread_barrier_t *b, unsigned int *word, int shared)
{
    int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    syscall(SYS_futex, word, op, INT_MAX, NULL, NULL, 0);
    gp__waitq_wake(b, INT_MAX);
}

static unsigned int max_in_before_reset(unsigned int count)
{
    return BARRIER_IN_THRESHOLD - BARRIER_IN_THRESHOLD % count;
}

int gp__barrier_wait(pthread_barrier_t *b)
{
    struct glibc_barrier *bar = (struct glibc_barrier *)b;
    unsigned int i, count, max_in;
    /* Enter, unless the barrier is being reset: then wait for the reset and enter after. */
    for (;;) {
        i = __atomic_add_fetch(&bar->in, 1, __ATOMIC_ACQ_REL);
        count = bar->count;
        max_in = max_in_before_reset(count);
        if (i <= max_in)
            break;
        while (i > max_in) {
            wait_while(b, &bar->in, i);
            i = __atomic_load_n(&bar->in, __ATOMIC_RELAXED);
        }
    }
    /* Complete the rounds that this thread's entry completes, as far as it can tell. */
    unsigned int cr = __atomic_load_n(&bar->current_round, __ATOMIC_RELAXED);
    while (cr + count <= i) {
        unsigned int newcr = i - i % count;
        if (__atomic_compare_exchange_n(&bar->current_round, &cr, newcr, true,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            cr = newcr;
            wake_all(b, &bar->current_round, bar->shared);
            break;
        }
    }
    /* Wait until this thread's round is complete. */
    while (i > cr) {
        wait_while(b, &bar->current_round, cr);
        cr = __atomic_load_n(&bar->current_round, __ATOMIC_ACQUIRE);
    }
    /* Leave; the last thread to leave before the threshold resets the barrier. */
    unsigned int o = __atomic_add_fetch(&bar->out, 1, __ATOMIC_RELEASE);
    if (o == max_in) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        __atomic_store_n(&bar->current_round, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&bar->out, 0, __ATOMIC_RELAXED);
        int shared = bar->shared;
        __atomic_store_n(&bar->in, 0, __ATOMIC_RELEASE);
        wake_all(b, &bar->in, shared);
    }
    return i % count == 0 ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

int gp__barrier_destroy(pthread_barrier_t *b)
{
    struct glibc_barrier *bar = (struct glibc_barrier *)b;
    /* Pretend the reset threshold was reached, so that the last thread to leave resets the
     * barrier (setting IN to 0), and wait for that. */
    unsigned int max_in = max_in_before_reset(bar->count);
    unsigned int in = __atomic_load_n(&bar->in, __ATOMIC_RELAXED);
    if (__atomic_fetch_add(&bar->out, max_in - in, __ATOMIC_RELAXED) < in) {
        while (in != 0) {
            wait_while(b, &bar->in, in);
            in = __atomic_load_n(&bar->in, __ATOMIC_RELAXED);
        }
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return 0;
}

void gp__barrier_stranger_used(pthread_barrier_t *b)
{
    if (gp__sched_main())
        gp__hub_post_wake(b, INT_MAX); /* without memory for it, green waiters stay parked */
}
