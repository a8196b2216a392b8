/* Mutexes and condition variables: a counter incremented by 1,000 threads that sleep while
 * holding the mutex (so that switches happen inside the critical section); statically
 * initialised normal, recursive and error-checking mutexes; the error numbers glibc defines
 * (EDEADLK, EPERM, EBUSY, ETIMEDOUT, EINVAL) for relock, unlock by a non-owner, trylock,
 * timedlock, clocklock and destroy of a locked mutex; a bounded producer/consumer queue;
 * pthread_cond_timedwait on CLOCK_REALTIME and CLOCK_MONOTONIC conds and
 * pthread_cond_clockwait on both clocks (ETIMEDOUT, never early, mutex owned again).
 * Everything it prints is the same natively and under the shim. */
#include "thread_prog.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* ---- the counter: 1,000 threads, sleeping inside the critical section ---- */

enum { COUNTER_THREADS = 1000, INCREMENTS_PER_THREAD = 200 };

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *increment_counter(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
        pthread_mutex_lock(&counter_lock);
        /* Read, block, write back: any other thread let into the critical section while
         * this one sleeps would make an increment get lost. */
        long seen = counter;
        if (i % 50 == 0)
            usleep(1);
        else if (i % 50 == 25)
            nanosleep(&(struct timespec){0, 1000}, NULL);
        counter = seen + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void check_counter(void)
{
    pthread_t *threads = calloc(COUNTER_THREADS, sizeof *threads);
    for (int i = 0; i < COUNTER_THREADS; i++)
        threads[i] = start_thread(NULL, increment_counter, NULL);
    for (int i = 0; i < COUNTER_THREADS; i++)
        join_or_die(threads[i]);
    free(threads);
    printf("counter after %d threads x %d increments: %ld\n", COUNTER_THREADS,
           INCREMENTS_PER_THREAD, counter);
}

/* ---- mutex error numbers, each attempt made by another thread where it matters ---- */

struct mutex_attempt {
    int (*op)(pthread_mutex_t *);
    pthread_mutex_t *mutex;
};

static void *make_attempt(void *arg)
{
    struct mutex_attempt *attempt = arg;
    return (void *)(intptr_t)attempt->op(attempt->mutex);
}

/* Runs op(mutex) in a new thread and returns what it returned. */
static const char *from_other_thread(int (*op)(pthread_mutex_t *), pthread_mutex_t *mutex)
{
    struct mutex_attempt attempt = {op, mutex};
    return error_name((int)(intptr_t)join_or_die(start_thread(NULL, make_attempt, &attempt)));
}

/* Gives the mutex back when an attempt took it, so that attempts leave no trace. */
static int release_if_taken(pthread_mutex_t *mutex, int rc)
{
    if (rc == 0)
        pthread_mutex_unlock(mutex);
    return rc;
}

static int trylock_and_release(pthread_mutex_t *mutex)
{
    return release_if_taken(mutex, pthread_mutex_trylock(mutex));
}

static int timedlock_50ms(pthread_mutex_t *mutex)
{
    struct timespec deadline = deadline_in(CLOCK_REALTIME, 50);
    return release_if_taken(mutex, pthread_mutex_timedlock(mutex, &deadline));
}

static int clocklock_monotonic_50ms(pthread_mutex_t *mutex)
{
    struct timespec deadline = deadline_in(CLOCK_MONOTONIC, 50);
    return release_if_taken(mutex, pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, &deadline));
}

static int timedlock_bad_nanoseconds(pthread_mutex_t *mutex)
{
    struct timespec deadline = {.tv_sec = 1, .tv_nsec = 1000000000};
    return release_if_taken(mutex, pthread_mutex_timedlock(mutex, &deadline));
}

/* Statically initialised: no init call tells anyone what kind of mutex these are. */
static pthread_mutex_t recursive_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t static_errorcheck_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;

static void check_recursive_mutex(void)
{
    const char *locks[3], *unlocks[3];
    for (int i = 0; i < 3; i++)
        locks[i] = error_name(pthread_mutex_lock(&recursive_lock));
    const char *while_held = from_other_thread(trylock_and_release, &recursive_lock);
    for (int i = 0; i < 3; i++)
        unlocks[i] = error_name(pthread_mutex_unlock(&recursive_lock));
    const char *extra_unlock = error_name(pthread_mutex_unlock(&recursive_lock));
    const char *after = from_other_thread(trylock_and_release, &recursive_lock);
    printf("recursive mutex: lock x3: %s %s %s, other thread's trylock: %s, unlock x3: %s %s %s, "
           "one unlock more: %s, other thread's trylock after: %s\n",
           locks[0], locks[1], locks[2], while_held, unlocks[0], unlocks[1], unlocks[2],
           extra_unlock, after);
}

static void check_errorcheck_mutex(const char *label, pthread_mutex_t *mutex)
{
    const char *lock = error_name(pthread_mutex_lock(mutex));
    const char *relock = error_name(pthread_mutex_lock(mutex));
    const char *foreign_unlock = from_other_thread(pthread_mutex_unlock, mutex);
    const char *foreign_trylock = from_other_thread(trylock_and_release, mutex);
    const char *unlock = error_name(pthread_mutex_unlock(mutex));
    const char *unlock_again = error_name(pthread_mutex_unlock(mutex));
    printf("%s: lock: %s, relock: %s, unlock by another thread: %s, other thread's trylock: %s, "
           "unlock: %s, unlock when unlocked: %s\n",
           label, lock, relock, foreign_unlock, foreign_trylock, unlock, unlock_again);
}

static void check_held_normal_mutex(void)
{
    pthread_mutex_t mutex;
    pthread_mutex_init(&mutex, NULL);
    pthread_mutex_lock(&mutex);
    const char *trylock = from_other_thread(trylock_and_release, &mutex);
    const char *timedlock = from_other_thread(timedlock_50ms, &mutex);
    const char *clocklock = from_other_thread(clocklock_monotonic_50ms, &mutex);
    const char *bad_deadline = from_other_thread(timedlock_bad_nanoseconds, &mutex);
    const char *destroy_locked = error_name(pthread_mutex_destroy(&mutex));
    pthread_mutex_unlock(&mutex);
    const char *trylock_after = from_other_thread(trylock_and_release, &mutex);
    const char *destroy = error_name(pthread_mutex_destroy(&mutex));
    printf("normal mutex held by main: other thread's trylock: %s, timedlock: %s, "
           "clocklock (monotonic): %s, timedlock with tv_nsec 1e9: %s, destroy while locked: %s, "
           "trylock after unlock: %s, destroy: %s\n",
           trylock, timedlock, clocklock, bad_deadline, destroy_locked, trylock_after, destroy);
}

/* ---- producer/consumer over a bounded queue ---- */

enum { PRODUCERS = 4, CONSUMERS = 3, ITEMS_PER_PRODUCER = 500, QUEUE_CAPACITY = 4 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    int items[QUEUE_CAPACITY];
    int head, length;
    bool producers_done; /* set once all producers are joined; consumers then drain */
    int consumed_from[PRODUCERS];
    long consumed_sum;
} queue = {.lock = PTHREAD_MUTEX_INITIALIZER,
         .not_empty = PTHREAD_COND_INITIALIZER,
         .not_full = PTHREAD_COND_INITIALIZER};

static int item_of(int producer, int i) { return producer * ITEMS_PER_PRODUCER + i; }

static void *produce(void *arg)
{
    int producer = (int)(intptr_t)arg;
    for (int i = 0; i < ITEMS_PER_PRODUCER; i++) {
        pthread_mutex_lock(&queue.lock);
        while (queue.length == QUEUE_CAPACITY)
            pthread_cond_wait(&queue.not_full, &queue.lock);
        queue.items[(queue.head + queue.length++) % QUEUE_CAPACITY] = item_of(producer, i);
        pthread_cond_signal(&queue.not_empty);
        pthread_mutex_unlock(&queue.lock);
    }
    return NULL;
}

static void *consume(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&queue.lock);
    for (;;) {
        while (queue.length == 0 && !queue.producers_done)
            pthread_cond_wait(&queue.not_empty, &queue.lock);
        if (queue.length == 0)
            break;
        int item = queue.items[queue.head];
        queue.head = (queue.head + 1) % QUEUE_CAPACITY;
        queue.length--;
        queue.consumed_from[item / ITEMS_PER_PRODUCER]++;
        queue.consumed_sum += item;
        pthread_cond_signal(&queue.not_full);
    }
    pthread_mutex_unlock(&queue.lock);
    return NULL;
}

static void check_producer_consumer(void)
{
    pthread_t producers[PRODUCERS], consumers[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        consumers[i] = start_thread(NULL, consume, NULL);
    report_os_threads("consumers-alive"); /* they wait for items until producers_done */
    for (int i = 0; i < PRODUCERS; i++)
        producers[i] = start_thread(NULL, produce, (void *)(intptr_t)i);
    for (int i = 0; i < PRODUCERS; i++)
        join_or_die(producers[i]);
    pthread_mutex_lock(&queue.lock);
    queue.producers_done = true;
    pthread_cond_broadcast(&queue.not_empty);
    pthread_mutex_unlock(&queue.lock);
    for (int i = 0; i < CONSUMERS; i++)
        join_or_die(consumers[i]);
    long expected_sum = 0;
    bool counts_right = true;
    for (int p = 0; p < PRODUCERS; p++) {
        counts_right = counts_right && queue.consumed_from[p] == ITEMS_PER_PRODUCER;
        for (int i = 0; i < ITEMS_PER_PRODUCER; i++)
            expected_sum += item_of(p, i);
    }
    printf("producer/consumer: every producer's %d items consumed: %s, sum right: %s, "
           "left in queue: %d\n",
           ITEMS_PER_PRODUCER, yes_no(counts_right), yes_no(queue.consumed_sum == expected_sum),
           queue.length);
}

/* ---- timed condition waits ---- */

enum wait_kind { TIMEDWAIT, CLOCKWAIT };

/* Waits 50 ms on a cond nobody signals. The mutex is error-checking, so that unlocking it
 * afterwards (0, not EPERM) shows the wait gave it back to this thread. */
static void check_timed_out_wait(const char *label, pthread_cond_t *cond, enum wait_kind kind,
                                 clockid_t clock)
{
    pthread_mutex_t mutex = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    struct timespec deadline = deadline_in(clock, 50);
    pthread_mutex_lock(&mutex);
    int rc = kind == TIMEDWAIT ? pthread_cond_timedwait(cond, &mutex, &deadline)
                               : pthread_cond_clockwait(cond, &mutex, clock, &deadline);
    bool not_early = deadline_reached(clock, deadline);
    printf("%s: %s, not before the deadline: %s, mutex owned after: %s\n", label,
           error_name(rc), yes_no(not_early), yes_no(pthread_mutex_unlock(&mutex) == 0));
}

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool ready;
} signalled = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

static void *wait_with_time_to_spare(void *arg)
{
    (void)arg;
    struct timespec deadline = deadline_in(CLOCK_REALTIME, 10000);
    int rc = 0;
    pthread_mutex_lock(&signalled.lock);
    while (!signalled.ready && rc == 0)
        rc = pthread_cond_timedwait(&signalled.cond, &signalled.lock, &deadline);
    pthread_mutex_unlock(&signalled.lock);
    return (void *)(intptr_t)rc;
}

static void check_timed_waits(void)
{
    pthread_cond_t realtime_cond = PTHREAD_COND_INITIALIZER;
    check_timed_out_wait("timedwait, realtime cond", &realtime_cond, TIMEDWAIT, CLOCK_REALTIME);

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    must_succeed(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), "pthread_condattr_setclock");
    pthread_cond_t monotonic_cond;
    pthread_cond_init(&monotonic_cond, &attr);
    pthread_condattr_destroy(&attr);
    check_timed_out_wait("timedwait, monotonic cond", &monotonic_cond, TIMEDWAIT, CLOCK_MONOTONIC);
    pthread_cond_destroy(&monotonic_cond);

    check_timed_out_wait("clockwait, realtime", &realtime_cond, CLOCKWAIT, CLOCK_REALTIME);
    check_timed_out_wait("clockwait, monotonic", &realtime_cond, CLOCKWAIT, CLOCK_MONOTONIC);

    pthread_t waiter = start_thread(NULL, wait_with_time_to_spare, NULL);
    usleep(20000);
    pthread_mutex_lock(&signalled.lock);
    signalled.ready = true;
    pthread_cond_signal(&signalled.cond);
    pthread_mutex_unlock(&signalled.lock);
    printf("timedwait signalled before its deadline: %s\n",
           error_name((int)(intptr_t)join_or_die(waiter)));

    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    struct timespec bad = {.tv_sec = 1, .tv_nsec = 1000000000};
    struct timespec fine = deadline_in(CLOCK_MONOTONIC, 10);
    pthread_mutex_lock(&mutex);
    const char *bad_nsec = error_name(pthread_cond_timedwait(&realtime_cond, &mutex, &bad));
    const char *bad_clock =
        error_name(pthread_cond_clockwait(&realtime_cond, &mutex, CLOCK_PROCESS_CPUTIME_ID, &fine));
    pthread_mutex_unlock(&mutex);
    printf("timedwait with tv_nsec 1e9: %s, clockwait on CLOCK_PROCESS_CPUTIME_ID: %s\n",
           bad_nsec, bad_clock);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("mutex_cond start\n");
    check_counter();
    check_recursive_mutex();
    check_errorcheck_mutex("error-checking mutex (static)", &static_errorcheck_lock);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t errorcheck_lock;
    pthread_mutex_init(&errorcheck_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    check_errorcheck_mutex("error-checking mutex (attr)", &errorcheck_lock);
    check_held_normal_mutex();
    check_producer_consumer();
    check_timed_waits();
    return 0;
}
