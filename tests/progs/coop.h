/* The shape of every "does this call let the other threads run" helper program.
 *
 * The main thread waits in one blocking call. A second thread, the ticker, first sleeps a few
 * short ticks and only then does what ends the wait (writes the byte, posts the semaphore,
 * exits the child, sends the signal). Under the shim both are green threads on one OS
 * thread: if the call blocked that OS thread, the ticker could never run, the program would
 * hang and the harness would kill it. So the call returning at all proves it was
 * cooperative, with no timing in the test. Natively the same program passes, with two OS
 * threads.
 *
 * The ticker reports the OS thread count ("os-threads WHERE: N", thread_prog.h) while the
 * main thread is known to be inside the call, just before waking it. */
#ifndef COOP_H
#define COOP_H

#include "thread_prog.h"

#include <stdatomic.h>
#include <unistd.h>

enum { COOP_TICKS = 3, COOP_TICK_US = 2000 };

struct coop_ticker {
    pthread_t thread;
    const char *where;        /* the name of the report on stderr */
    void (*wake)(void *arg);  /* ends the main thread's wait */
    void *arg;
    atomic_int ticks;         /* ticks counted before wake ran */
};

static void *coop_ticker_main(void *p)
{
    struct coop_ticker *t = p;
    for (int i = 0; i < COOP_TICKS; i++) {
        usleep(COOP_TICK_US);
        atomic_fetch_add(&t->ticks, 1);
    }
    report_os_threads(t->where);
    if (t->wake)
        t->wake(t->arg);
    return NULL;
}

/* Starts the ticker; call it just before the blocking call. wake may be NULL when the wait
 * ends by itself (a timeout): the ticks then still prove the others ran meanwhile. */
static inline void coop_start(struct coop_ticker *t, const char *where, void (*wake)(void *),
                              void *arg)
{
    t->where = where;
    t->wake = wake;
    t->arg = arg;
    atomic_init(&t->ticks, 0);
    t->thread = start_thread(NULL, coop_ticker_main, t);
}

/* Joins the ticker; true when it ticked COOP_TICKS times (always, once it has finished). */
static inline bool coop_finish(struct coop_ticker *t)
{
    join_or_die(t->thread);
    return atomic_load(&t->ticks) == COOP_TICKS;
}

/* How many ticks the ticker had counted when the call returned: for a call woken by the
 * ticker that is COOP_TICKS ("the other thread ran while it waited"). */
static inline int coop_ticks(struct coop_ticker *t) { return atomic_load(&t->ticks); }

#endif
