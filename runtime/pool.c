/* See pool.h. */
#include "pool.h"

#include "backtrace.h"
#include "config.h"
#include "diag.h"
#include "hub.h"
#include "inspect.h"
#include "log.h"
#include "real.h"
#include "scheduler.h"
#include "stats.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>

/* One call handed to a worker. It lives on the parked caller's stack, which stays put until
 * the hub has taken done and unparked the caller. */
struct job {
    long (*fn)(void *arg);
    void *arg;
    long result;                /* written by the worker before it posts done */
    bool waits;                 /* gp__pool_wait's: never waits in line for a worker */
    struct job *next;           /* on pool.head while waiting for a worker */
    struct gp_hub_unpark done;  /* posted to the hub by the worker when finished */
};

static struct {
    pthread_mutex_t lock;       /* guards everything below; never held while a job runs */
    pthread_cond_t work;        /* idle workers wait here for pool.head */
    struct job *head, *tail;    /* jobs no worker has taken yet: waits first, then the
                                 * others oldest first */
    unsigned queued;            /* jobs on that list */
    unsigned workers;           /* started and not exited (they never exit) */
    unsigned idle;              /* workers waiting on work */
    unsigned in_waits;          /* workers running a job that waits (gp__pool_wait) */
    bool atfork_registered;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

/* Takes the next job; finished_a_wait: the job this worker finished was a wait. */
static struct job *take_job(bool finished_a_wait)
{
    gp__real.pthread_mutex_lock(&pool.lock);
    if (finished_a_wait)
        pool.in_waits--;
    while (!pool.head) {
        pool.idle++;
        gp__real.pthread_cond_wait(&pool.work, &pool.lock);
        pool.idle--;
    }
    struct job *j = pool.head;
    pool.head = j->next;
    if (!pool.head)
        pool.tail = NULL;
    pool.queued--;
    if (j->waits)
        pool.in_waits++;
    gp__real.pthread_mutex_unlock(&pool.lock);
    return j;
}

static void *worker_main(void *unused)
{
    (void)unused;
    /* A name of their own, so that ps -L, top -H, gdb and the tests tell the pool's workers
     * from the program's threads (otherwise they carry the name of the thread that started
     * them). */
    prctl(PR_SET_NAME, GP_POOL_THREAD_NAME);
    bool waited = false;
    for (;;) {
        struct job *j = take_job(waited);
        waited = j->waits;
        j->result = j->fn(j->arg);
        /* The last touch of the job: the caller may return as soon as the hub takes it. */
        gp__hub_post_unpark(&j->done);
    }
    return NULL;
}

/* In a fork child: the workers were threads of the parent. The lock may have been held by
 * one of them at the fork, so it starts afresh too. */
static void forget_workers(void)
{
    pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_work = PTHREAD_COND_INITIALIZER;
    memcpy(&pool.lock, &fresh_lock, sizeof fresh_lock);
    memcpy(&pool.work, &fresh_work, sizeof fresh_work);
    pool.head = pool.tail = NULL;
    pool.workers = pool.idle = pool.queued = pool.in_waits = 0;
}

int gp__pool_os_thread(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    sigset_t all;
    sigfillset(&all);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setsigmask_np(&attr, &all);
    pthread_t t;
    int r = gp__real.pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return r;
}

/* Called with pool.lock held. Workers block every signal (the attribute sets the mask
 * before the thread runs a single instruction, so no signal can slip in) and get glibc's
 * default stack: resolver and file system code expect a native thread's. */
static int start_worker(void)
{
    int r = gp__pool_os_thread(worker_main, NULL);
    if (r)
        return -r;
    if (!pool.atfork_registered) {
        pthread_atfork(NULL, NULL, forget_workers);
        pool.atfork_registered = true;
    }
    pool.workers++;
    __atomic_add_fetch(&gp__stats.pool_workers, 1, __ATOMIC_RELAXED);
    gp__log_info("pool: worker %u started (GREENPATCH_POOL_SIZE=%u; %u busy waiting for "
                 "another party)", pool.workers, gp__config.pool_size, pool.in_waits);
    return 0;
}

/* Queues j; returns false when no worker exists or can be started to run it. */
static bool enqueue(struct job *j)
{
    gp__real.pthread_mutex_lock(&pool.lock);
    bool ok = true;
    /* Start a worker for every job that finds none idle, up to the limit (which counts
     * no worker that is busy waiting); beyond it the job waits in line for the next worker
     * that finishes. A wait goes to the front and gets a worker whenever the idle ones are
     * spoken for by the jobs already in line: it may never finish, so nothing may wait
     * behind it, and it must not wait behind anything either. */
    if (j->waits ? pool.idle <= pool.queued
                 : pool.idle == 0 && pool.workers - pool.in_waits < gp__config.pool_size) {
        int r = start_worker();
        if (r < 0 && pool.workers == 0) {
            gp__diag("cannot start a worker thread (%s): running the call inline",
                     strerror(-r));
            ok = false;
        }
    }
    if (ok) {
        if (j->waits) {
            j->next = pool.head;
            pool.head = j;
            if (!pool.tail)
                pool.tail = j;
        } else {
            if (pool.tail)
                pool.tail->next = j;
            else
                pool.head = j;
            pool.tail = j;
        }
        pool.queued++;
        gp__real.pthread_cond_signal(&pool.work);
    }
    gp__real.pthread_mutex_unlock(&pool.lock);
    return ok;
}

static long run_on_worker(long (*fn)(void *), void *arg, bool waits)
{
    struct job j = {.fn = fn, .arg = arg, .waits = waits, .done = {.thread = gp__current}};
    if (!enqueue(&j))
        return fn(arg);
    gp__stats.pool_jobs++;
    gp__log_debug("pool: green thread %llu's call %p (%s) sent to a worker%s",
                  (unsigned long long)gp__current->id, (void *)(uintptr_t)fn,
                  gp__backtrace_name((void *)(uintptr_t)fn) ?: "a static function",
                  waits ? " (a wait for another party)" : "");
    /* Only the hub taking the worker's post ends this wait (the post makes the result
     * visible); anything else that unparks us early (a cancellation request, say) finds
     * the job still out and parks again. */
    while (!j.done.taken) {
        gp__inspect_say(GP_PARK_POOL, (const void *)(uintptr_t)fn);
        gp__sched_park();
    }
    return j.result;
}

long gp__pool_call(long (*fn)(void *arg), void *arg)
{
    if (!gp__sched_others())
        return fn(arg);
    return run_on_worker(fn, arg, false);
}

long gp__pool_wait(long (*fn)(void *arg), void *arg)
{
    if (!gp__sched_others())
        return fn(arg);
    return run_on_worker(fn, arg, true);
}

long gp__pool_offload(long (*fn)(void *arg), void *arg)
{
    if (!gp__sched_green())
        return fn(arg);
    return run_on_worker(fn, arg, false);
}
