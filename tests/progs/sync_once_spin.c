/* pthread_once, spinlocks and sched_yield:
 *  - main calls pthread_once while another thread runs the routine, which waits (on a
 *    semaphore) until a ticker has ticked: main's call returns once the routine has
 *    finished, and the routine ran once;
 *  - three threads call pthread_once on one control while the first one's routine sleeps:
 *    each returns after the routine finished; a later call returns at once;
 *  - main waits in pthread_spin_lock while another thread holds the lock until a ticker
 *    has ticked; four threads count to 4 x 500 under a spinlock, yielding inside it;
 *  - main spins on sched_yield until the ticker sets a flag.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits. */
#include "coop.h"

#include <semaphore.h>

/* ---- pthread_once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t go;
static atomic_int runs;
static atomic_bool routine_finished;

static void routine_that_waits(void)
{
    runs++;
    while (sem_wait(&go) != 0)
        ;
    routine_finished = true;
}

static void *run_once(void *arg)
{
    must_succeed(pthread_once(&once, arg), "pthread_once");
    return NULL;
}

static void let_it_go(void *arg)
{
    (void)arg;
    sem_post(&go);
}

static void main_waits_for_the_routine(void)
{
    sem_init(&go, 0, 0);
    pthread_t runner = start_thread(NULL, run_once, (void *)routine_that_waits);
    while (runs == 0)
        usleep(1000); /* the runner is in the routine */
    struct coop_ticker t;
    coop_start(&t, "pthread_once", let_it_go, NULL);
    int r = pthread_once(&once, routine_that_waits);
    bool finished = routine_finished;
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    join_or_die(runner);
    printf("pthread_once while another thread runs the routine: %s, returned after the "
           "routine finished: %s, ticks meanwhile: %d, runs: %d\n",
           error_name(r), yes_no(finished), ticks, (int)runs);
}

static pthread_once_t sleepy_once = PTHREAD_ONCE_INIT;
static atomic_int sleepy_runs, returned_after_finish;
static atomic_bool sleepy_finished;

static void routine_that_sleeps(void)
{
    sleepy_runs++;
    usleep(50000);
    sleepy_finished = true;
}

static void *call_sleepy(void *arg)
{
    usleep(10000 * (int)(intptr_t)arg); /* the first one is in the routine by then */
    must_succeed(pthread_once(&sleepy_once, routine_that_sleeps), "pthread_once");
    if (sleepy_finished)
        returned_after_finish++;
    return NULL;
}

static void callers_wait_for_a_sleeping_routine(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = start_thread(NULL, call_sleepy, (void *)(intptr_t)i);
    for (int i = 0; i < 3; i++)
        join_or_die(t[i]);
    int r = pthread_once(&sleepy_once, routine_that_sleeps);
    printf("three threads call pthread_once while the routine sleeps: runs: %d, returned after "
           "it finished: %d, a later call: %s\n",
           (int)sleepy_runs, (int)returned_after_finish, error_name(r));
}

/* ---- spinlocks ---- */

static pthread_spinlock_t spin;
static sem_t holds, release;

static void *hold_spin(void *arg)
{
    (void)arg;
    must_succeed(pthread_spin_lock(&spin), "pthread_spin_lock");
    sem_post(&holds);
    while (sem_wait(&release) != 0)
        ;
    must_succeed(pthread_spin_unlock(&spin), "pthread_spin_unlock");
    return NULL;
}

static void release_spin(void *arg)
{
    (void)arg;
    sem_post(&release);
}

enum { COUNTERS = 4, COUNT = 500 };
static long counted;

static void *count_under_spin(void *arg)
{
    (void)arg;
    for (int i = 0; i < COUNT; i++) {
        must_succeed(pthread_spin_lock(&spin), "pthread_spin_lock");
        long before = counted;
        if (i % 50 == 0)
            sched_yield(); /* another thread may run and find the lock taken */
        counted = before + 1;
        must_succeed(pthread_spin_unlock(&spin), "pthread_spin_unlock");
    }
    return NULL;
}

static void spinlocks(void)
{
    must_succeed(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), "pthread_spin_init");
    sem_init(&holds, 0, 0);
    sem_init(&release, 0, 0);
    pthread_t holder = start_thread(NULL, hold_spin, NULL);
    while (sem_wait(&holds) != 0)
        ;
    int busy = pthread_spin_trylock(&spin);
    struct coop_ticker t;
    coop_start(&t, "pthread_spin_lock", release_spin, NULL);
    int r = pthread_spin_lock(&spin);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    join_or_die(holder);
    printf("pthread_spin_lock while another thread holds it: %s (trylock: %s), ticks meanwhile: "
           "%d\n",
           error_name(r), error_name(busy), ticks);
    must_succeed(pthread_spin_unlock(&spin), "pthread_spin_unlock");

    pthread_t c[COUNTERS];
    for (int i = 0; i < COUNTERS; i++)
        c[i] = start_thread(NULL, count_under_spin, NULL);
    for (int i = 0; i < COUNTERS; i++)
        join_or_die(c[i]);
    printf("%d threads counting %d times under a spinlock: %ld\n", COUNTERS, COUNT, counted);
    pthread_spin_destroy(&spin);
}

/* ---- sched_yield ---- */

static atomic_bool flag;

static void set_flag(void *arg)
{
    (void)arg;
    flag = true;
}

static void yield_until_flag(void)
{
    struct coop_ticker t;
    coop_start(&t, "sched_yield", set_flag, NULL);
    struct timespec limit = deadline_in(CLOCK_MONOTONIC, 10000);
    int r = 0;
    while (!flag && r == 0 && !deadline_reached(CLOCK_MONOTONIC, limit))
        r = sched_yield();
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("sched_yield until another thread sets a flag: %s, flag set: %s, ticks meanwhile: %d\n",
           error_name(r), yes_no(flag), ticks);
}

int main(void)
{
    alarm(30);
    printf("sync_once_spin start\n");
    main_waits_for_the_routine();
    callers_wait_for_a_sleeping_routine();
    spinlocks();
    yield_until_flag();
    printf("sync_once_spin done\n");
    return 0;
}
