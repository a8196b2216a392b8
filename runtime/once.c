/* See once.h. */
#include "once.h"

#include "clock.h"
#include "real.h"
#include "scheduler.h"
#include "waitq.h"

#include <limits.h>

enum { ONCE_INPROGRESS = 1, ONCE_DONE = 2, ONCE_GENERATION_MASK = ~3 };

/* A waiter looks again after this long, doubling up to the maximum. */
#define POLL_MIN_NS 1000000
#define POLL_MAX_NS 100000000

/* glibc's fork generation is internal to libc: while glibc runs a routine, the once word
 * shows it. It changes only in a fork child, whose OS thread has a new TID. */
static pthread_once_t *probed;
static int probed_word;
static void probe(void) { probed_word = *probed; }

static int fork_generation(void)
{
    static int generation;
    static pid_t probed_on;
    if (probed_on != gp__sched_os_tid()) {
        pthread_once_t control = PTHREAD_ONCE_INIT;
        probed = &control;
        gp__real.pthread_once(&control, probe);
        generation = probed_word & ONCE_GENERATION_MASK;
        probed_on = gp__sched_os_tid();
    }
    return generation;
}

int gp__once(pthread_once_t *control, void (*init)(void))
{
    int64_t poll = POLL_MIN_NS;
    for (;;) {
        int word = __atomic_load_n(control, __ATOMIC_ACQUIRE);
        if (word & ONCE_DONE)
            return 0;
        if (!(word & ONCE_INPROGRESS) || (word & ONCE_GENERATION_MASK) != fork_generation()) {
            /* Nobody runs the routine (or a fork cut its run short): glibc runs it here. */
            int r = gp__real.pthread_once(control, init);
            gp__waitq_wake(control, INT_MAX);
            return -r;
        }
        gp__waitq_wait(control, gp__backoff_step(&poll, POLL_MAX_NS));
    }
}
