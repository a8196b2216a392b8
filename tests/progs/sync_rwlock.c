/* Read-write locks:
 *  - each lock call waits while another thread holds the lock the other way (or for
 *    writing), while a ticker ticks and then has the holder unlock: rdlock, wrlock and the
 *    timed and clock variants return 0 once it does;
 *  - the timed and clock variants time out with ETIMEDOUT while it is held, and take a
 *    free lock whatever the deadline; a bad tv_nsec or clock is EINVAL even on a free lock;
 *  - the thread that holds the write lock gets EDEADLK from rdlock, wrlock and their timed
 *    forms, EBUSY from the try-locks; another thread (main, or a second thread) gets no
 *    EDEADLK for it; unlock releases a write lock and then a read lock properly;
 *  - three readers hold the lock at once; writers exclude each other and the readers;
 *  - with PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP readers and writers all get through,
 *    and a reader that comes while a writer waits goes after it (before it by default);
 *  - a thread that glibc starts itself (a timer's SIGEV_THREAD callback) holds the write
 *    lock while this program's thread waits to read; then this program's thread holds it
 *    while the timer thread waits to write (in the kernel) and gets it at the unlock.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits. */
#include "coop.h"

#include <semaphore.h>
#include <string.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

/* ---- a holder thread that takes the lock and lets go when told ---- */

struct holder {
    pthread_t thread;
    bool write;
    sem_t holds, release;
};

static void *hold(void *p)
{
    struct holder *h = p;
    must_succeed(h->write ? pthread_rwlock_wrlock(&lock) : pthread_rwlock_rdlock(&lock), "lock");
    sem_post(&h->holds);
    while (sem_wait(&h->release) != 0)
        ;
    must_succeed(pthread_rwlock_unlock(&lock), "unlock");
    return NULL;
}

static void holder_start(struct holder *h, bool write)
{
    h->write = write;
    sem_init(&h->holds, 0, 0);
    sem_init(&h->release, 0, 0);
    h->thread = start_thread(NULL, hold, h);
    while (sem_wait(&h->holds) != 0)
        ;
}

static void holder_release(void *p) { sem_post(&((struct holder *)p)->release); }

static void holder_finish(struct holder *h)
{
    join_or_die(h->thread);
    sem_destroy(&h->holds);
    sem_destroy(&h->release);
}

enum call { RDLOCK, WRLOCK, TIMEDRDLOCK, TIMEDWRLOCK, CLOCKRDLOCK, CLOCKWRLOCK };
static const char *const call_names[] = {
    "pthread_rwlock_rdlock",      "pthread_rwlock_wrlock",      "pthread_rwlock_timedrdlock",
    "pthread_rwlock_timedwrlock", "pthread_rwlock_clockrdlock", "pthread_rwlock_clockwrlock"};

static int lock_in(enum call c, pthread_rwlock_t *l, long ms)
{
    struct timespec rt = deadline_in(CLOCK_REALTIME, ms), mono = deadline_in(CLOCK_MONOTONIC, ms);
    switch (c) {
    case RDLOCK:
        return pthread_rwlock_rdlock(l);
    case WRLOCK:
        return pthread_rwlock_wrlock(l);
    case TIMEDRDLOCK:
        return pthread_rwlock_timedrdlock(l, &rt);
    case TIMEDWRLOCK:
        return pthread_rwlock_timedwrlock(l, &rt);
    case CLOCKRDLOCK:
        return pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &mono);
    case CLOCKWRLOCK:
        return pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &mono);
    }
    return -1;
}

/* main waits in call while another thread holds the lock (for writing, or for reading when
 * main wants to write and held_for_reading says so), then the ticker has it let go. */
static void waits_for_the_holder(enum call c, bool held_for_writing, const char *where)
{
    struct holder h;
    holder_start(&h, held_for_writing);
    struct coop_ticker t;
    coop_start(&t, where, holder_release, &h);
    int r = lock_in(c, &lock, 10000);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    holder_finish(&h);
    int again = pthread_rwlock_trywrlock(&lock);
    printf("%s while another thread holds it for %s: %s, ticks meanwhile: %d, main's "
           "trywrlock while it holds it: %s\n",
           call_names[c], held_for_writing ? "writing" : "reading", error_name(r), ticks,
           error_name(again));
    if (again == 0)
        must_succeed(pthread_rwlock_unlock(&lock), "unlock");
    if (r == 0)
        must_succeed(pthread_rwlock_unlock(&lock), "unlock");
}

static void times_out(enum call c)
{
    struct holder h;
    holder_start(&h, true);
    struct coop_ticker t;
    coop_start(&t, "timeout", NULL, NULL);
    int r = lock_in(c, &lock, 50);
    coop_finish(&t);
    holder_release(&h);
    holder_finish(&h);
    int free_lock = lock_in(c, &lock, -1000);
    printf("%s while another thread holds it for writing: %s; on the free lock with a "
           "deadline passed: %s\n",
           call_names[c], error_name(r), error_name(free_lock));
    if (free_lock == 0)
        must_succeed(pthread_rwlock_unlock(&lock), "unlock");
}

static void bad_arguments(void)
{
    struct timespec bad = {.tv_nsec = 1000000000};
    printf("on a free lock: timedrdlock with tv_nsec 1e9: %s",
           error_name(pthread_rwlock_timedrdlock(&lock, &bad)));
    printf(", timedwrlock with tv_nsec 1e9: %s",
           error_name(pthread_rwlock_timedwrlock(&lock, &bad)));
    struct timespec zero = {0};
    printf(", clockrdlock on CLOCK_PROCESS_CPUTIME_ID: %s",
           error_name(pthread_rwlock_clockrdlock(&lock, CLOCK_PROCESS_CPUTIME_ID, &zero)));
    printf(", clockwrlock on CLOCK_THREAD_CPUTIME_ID: %s",
           error_name(pthread_rwlock_clockwrlock(&lock, CLOCK_THREAD_CPUTIME_ID, &zero)));
    printf(", still free: %s\n", yes_no(pthread_rwlock_trywrlock(&lock) == 0));
    must_succeed(pthread_rwlock_unlock(&lock), "unlock");
}

/* ---- EDEADLK and unlock ---- */

static void report_deadlocks(const char *who)
{
    struct timespec later = deadline_in(CLOCK_REALTIME, 1000);
    struct timespec mono = deadline_in(CLOCK_MONOTONIC, 1000);
    printf("%s holds it for writing: rdlock %s", who, error_name(pthread_rwlock_rdlock(&lock)));
    printf(", wrlock %s", error_name(pthread_rwlock_wrlock(&lock)));
    printf(", timedrdlock %s", error_name(pthread_rwlock_timedrdlock(&lock, &later)));
    printf(", timedwrlock %s", error_name(pthread_rwlock_timedwrlock(&lock, &later)));
    printf(", clockwrlock %s",
           error_name(pthread_rwlock_clockwrlock(&lock, CLOCK_MONOTONIC, &mono)));
    printf(", tryrdlock %s", error_name(pthread_rwlock_tryrdlock(&lock)));
    printf(", trywrlock %s\n", error_name(pthread_rwlock_trywrlock(&lock)));
}

static sem_t second_holds, second_may_go;

static void *second_writer(void *arg)
{
    (void)arg;
    must_succeed(pthread_rwlock_wrlock(&lock), "wrlock");
    report_deadlocks("a second thread");
    sem_post(&second_holds);
    while (sem_wait(&second_may_go) != 0)
        ;
    printf("the second thread's unlock: %s", error_name(pthread_rwlock_unlock(&lock)));
    must_succeed(pthread_rwlock_rdlock(&lock), "rdlock");
    printf(", it then reads: 0, and its unlock: %s\n", error_name(pthread_rwlock_unlock(&lock)));
    return NULL;
}

static void deadlocks_and_unlocks(void)
{
    must_succeed(pthread_rwlock_wrlock(&lock), "wrlock");
    report_deadlocks("main");
    printf("main's unlock: %s", error_name(pthread_rwlock_unlock(&lock)));
    must_succeed(pthread_rwlock_rdlock(&lock), "rdlock");
    must_succeed(pthread_rwlock_rdlock(&lock), "rdlock");
    printf(", main reads twice, then unlocks: %s", error_name(pthread_rwlock_unlock(&lock)));
    printf(" %s", error_name(pthread_rwlock_unlock(&lock)));
    printf(", free: %s\n", yes_no(pthread_rwlock_trywrlock(&lock) == 0));
    must_succeed(pthread_rwlock_unlock(&lock), "unlock");

    sem_init(&second_holds, 0, 0);
    sem_init(&second_may_go, 0, 0);
    pthread_t t = start_thread(NULL, second_writer, NULL);
    while (sem_wait(&second_holds) != 0)
        ;
    struct timespec soon = deadline_in(CLOCK_REALTIME, 20);
    printf("while the second thread writes, main: trywrlock %s",
           error_name(pthread_rwlock_trywrlock(&lock)));
    printf(", tryrdlock %s", error_name(pthread_rwlock_tryrdlock(&lock)));
    printf(", timedwrlock %s\n", error_name(pthread_rwlock_timedwrlock(&lock, &soon)));
    sem_post(&second_may_go);
    join_or_die(t);
}

/* ---- readers together, writers alone ---- */

enum { READERS = 3, WRITERS = 3, ROUNDS = 5 };
static atomic_int readers_inside, max_readers_inside, writers_inside, overlaps;
static int shared_counter;
static pthread_rwlock_t *crowd_lock;
static bool gather; /* readers wait inside until all of them are */

static void *reader(void *arg)
{
    (void)arg;
    must_succeed(pthread_rwlock_rdlock(crowd_lock), "rdlock");
    int inside = ++readers_inside;
    if (inside > max_readers_inside)
        max_readers_inside = inside;
    if (writers_inside)
        overlaps++;
    for (int i = 0; i < 500 && gather && readers_inside < READERS; i++)
        usleep(1000); /* every reader gets in while the others are inside */
    if (readers_inside > max_readers_inside)
        max_readers_inside = (int)readers_inside;
    readers_inside--;
    must_succeed(pthread_rwlock_unlock(crowd_lock), "unlock");
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        must_succeed(pthread_rwlock_wrlock(crowd_lock), "wrlock");
        if (++writers_inside > 1 || readers_inside)
            overlaps++;
        int before = shared_counter;
        usleep(500);
        shared_counter = before + 1;
        writers_inside--;
        must_succeed(pthread_rwlock_unlock(crowd_lock), "unlock");
        usleep(200);
    }
    return NULL;
}

static void crowd(pthread_rwlock_t *l, const char *what)
{
    crowd_lock = l;
    readers_inside = max_readers_inside = writers_inside = overlaps = 0;
    shared_counter = 0;
    pthread_t r[READERS], w[WRITERS];
    gather = true;
    for (int i = 0; i < READERS; i++)
        r[i] = start_thread(NULL, reader, NULL);
    for (int i = 0; i < READERS; i++)
        join_or_die(r[i]);
    gather = false;
    for (int i = 0; i < WRITERS; i++)
        w[i] = start_thread(NULL, writer, NULL);
    for (int i = 0; i < READERS; i++)
        r[i] = start_thread(NULL, reader, NULL);
    for (int i = 0; i < WRITERS; i++)
        join_or_die(w[i]);
    for (int i = 0; i < READERS; i++)
        join_or_die(r[i]);
    printf("%s: %d readers inside at once: %s, writers' count: %d of %d, overlaps: %d\n", what,
           READERS, yes_no(max_readers_inside == READERS), shared_counter, WRITERS * ROUNDS,
           (int)overlaps);
}

/* ---- who goes first: a waiting writer, or a reader that comes after it ---- */

static pthread_rwlock_t *order_lock;
static char order[8];
static atomic_int order_len;

static void *order_writer(void *arg)
{
    (void)arg;
    must_succeed(pthread_rwlock_wrlock(order_lock), "wrlock");
    order[order_len++] = 'W';
    must_succeed(pthread_rwlock_unlock(order_lock), "unlock");
    return NULL;
}

static void *order_reader(void *arg)
{
    (void)arg;
    must_succeed(pthread_rwlock_rdlock(order_lock), "rdlock");
    order[order_len++] = 'R';
    must_succeed(pthread_rwlock_unlock(order_lock), "unlock");
    return NULL;
}

/* main reads; a writer comes and waits; then main tries to read again and another reader
 * comes. glibc lets readers in past a waiting writer unless the lock prefers writers. */
static void who_goes_first(int kind, const char *what)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, kind);
    pthread_rwlock_t l;
    pthread_rwlock_init(&l, &attr);
    order_lock = &l;
    order_len = 0;
    memset(order, 0, sizeof order);
    must_succeed(pthread_rwlock_rdlock(&l), "rdlock");
    pthread_t w = start_thread(NULL, order_writer, NULL);
    usleep(50000); /* the writer waits by now */
    int again = pthread_rwlock_tryrdlock(&l);
    if (again == 0)
        must_succeed(pthread_rwlock_unlock(&l), "unlock");
    pthread_t r = start_thread(NULL, order_reader, NULL);
    usleep(50000); /* the reader has read, or waits, by now */
    must_succeed(pthread_rwlock_unlock(&l), "unlock");
    join_or_die(w);
    join_or_die(r);
    printf("%s: a reader's tryrdlock while a writer waits: %s, then who got it first, the "
           "waiting writer or a later reader: %s\n",
           what, error_name(again), order[0] == 'W' ? "the writer" : "the reader");
    pthread_rwlock_destroy(&l);
}

/* ---- a thread glibc starts itself ---- */

static sem_t stranger_holds, stranger_done;
static int stranger_result;

static void stranger_writes(union sigval v)
{
    (void)v;
    must_succeed(pthread_rwlock_wrlock(&lock), "stranger's wrlock");
    sem_post(&stranger_holds);
    usleep(50000);
    must_succeed(pthread_rwlock_unlock(&lock), "stranger's unlock");
}

static void stranger_waits_to_write(union sigval v)
{
    (void)v;
    sem_post(&stranger_holds);
    stranger_result = pthread_rwlock_wrlock(&lock); /* blocks in the kernel until main unlocks */
    if (stranger_result == 0)
        pthread_rwlock_unlock(&lock);
    sem_post(&stranger_done);
}

static void *idle(void *arg)
{
    (void)arg;
    usleep(400000);
    return NULL;
}

static void timer_in_10ms(timer_t *timer, void (*fn)(union sigval))
{
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = fn};
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, timer) ? errno : 0, "timer_create");
    struct itimerspec in_10ms = {.it_value = {.tv_nsec = 10000000}};
    must_succeed(timer_settime(*timer, 0, &in_10ms, NULL) ? errno : 0, "timer_settime");
}

static void with_a_stranger(void)
{
    pthread_t other = start_thread(NULL, idle, NULL); /* so that main's waits are green */
    sem_init(&stranger_holds, 0, 0);
    sem_init(&stranger_done, 0, 0);
    timer_t timer;
    timer_in_10ms(&timer, stranger_writes);
    while (sem_wait(&stranger_holds) != 0)
        ;
    int r = pthread_rwlock_rdlock(&lock);
    printf("rdlock while a timer thread writes: %s", error_name(r));
    must_succeed(pthread_rwlock_unlock(&lock), "unlock");
    timer_delete(timer);

    must_succeed(pthread_rwlock_wrlock(&lock), "wrlock");
    timer_in_10ms(&timer, stranger_waits_to_write);
    while (sem_wait(&stranger_holds) != 0)
        ;
    usleep(50000); /* the timer thread waits in the kernel by now */
    r = pthread_rwlock_unlock(&lock);
    while (sem_wait(&stranger_done) != 0)
        ;
    printf("; main wrote, unlocked (%s), and the timer thread's wrlock then got it: %s\n",
           error_name(r), error_name(stranger_result));
    timer_delete(timer);
    join_or_die(other);
}

int main(void)
{
    alarm(30);
    printf("sync_rwlock start\n");
    waits_for_the_holder(RDLOCK, true, "rdlock");
    waits_for_the_holder(WRLOCK, false, "wrlock-reader");
    waits_for_the_holder(WRLOCK, true, "wrlock");
    waits_for_the_holder(TIMEDRDLOCK, true, "timedrdlock");
    waits_for_the_holder(TIMEDWRLOCK, false, "timedwrlock");
    waits_for_the_holder(CLOCKRDLOCK, true, "clockrdlock");
    waits_for_the_holder(CLOCKWRLOCK, true, "clockwrlock");
    for (enum call c = TIMEDRDLOCK; c <= CLOCKWRLOCK; c++)
        times_out(c);
    bad_arguments();
    deadlocks_and_unlocks();
    crowd(&lock, "default rwlock");
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_t preferring;
    pthread_rwlock_init(&preferring, &attr);
    crowd(&preferring, "writer-preferring rwlock");
    pthread_rwlock_destroy(&preferring);
    who_goes_first(PTHREAD_RWLOCK_PREFER_READER_NP, "default rwlock");
    who_goes_first(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, "writer-preferring rwlock");
    with_a_stranger();
    printf("sync_rwlock done\n");
    return 0;
}
