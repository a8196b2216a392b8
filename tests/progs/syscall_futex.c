/* Futexes driven through syscall(SYS_futex, ...), as GLib's locks and many runtimes do,
 * with other threads alive (under the shim every wait below is a green one):
 *  - a GLib-style mutex (0 free, 1 locked, 2 contended) and condition variable (a counter
 *    the waiter samples) under 8 threads: counts under the mutex, a bounded queue between
 *    producers and consumers, with the mutex sometimes held across a sleep so that it is
 *    contended;
 *  - the kernel's answers: EAGAIN when the word changed, ETIMEDOUT for relative and
 *    absolute (monotonic and realtime) timeouts, EINVAL for a bad bitset, timeout or
 *    address;
 *  - bitsets: a wake reaches only waiters whose bitset shares a bit with its own;
 *  - a wake from an OS thread of glibc's own (a SIGEV_THREAD timer callback), a wake of a
 *    shared futex from another process, and a requeue that leaves no waiter behind;
 *  - a futex wait ended by another thread's wake while that thread ticked (coop.h). */
#include "coop.h"
#include "sig_util.h"

#include <limits.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout,
                  uint32_t *word2, uint32_t val3)
{
    return syscall(SYS_futex, word, op, val, timeout, word2, val3);
}

static long futex_wait(uint32_t *word, uint32_t val)
{
    return futex(word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static long futex_wake(uint32_t *word, int n)
{
    return futex(word, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL, NULL, 0);
}

/* ---- GLib's mutex and condition variable (glib/gthread-posix.c, futex flavour) ---- */

struct mutex {
    uint32_t word; /* 0 free, 1 locked, 2 locked with waiters */
};

static void mutex_lock(struct mutex *m)
{
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(&m->word, &expected, 1, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return;
    while (__atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE) != 0)
        futex_wait(&m->word, 2);
}

static void mutex_unlock(struct mutex *m)
{
    if (__atomic_exchange_n(&m->word, 0, __ATOMIC_RELEASE) == 2)
        futex_wake(&m->word, 1);
}

struct cond {
    uint32_t seq;
};

static void cond_wait(struct cond *c, struct mutex *m)
{
    uint32_t sampled = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    mutex_unlock(m);
    futex_wait(&c->seq, sampled);
    mutex_lock(m);
}

static void cond_signal(struct cond *c)
{
    __atomic_add_fetch(&c->seq, 1, __ATOMIC_RELEASE);
    futex_wake(&c->seq, 1);
}

static void cond_broadcast(struct cond *c)
{
    __atomic_add_fetch(&c->seq, 1, __ATOMIC_RELEASE);
    futex_wake(&c->seq, INT_MAX);
}

enum { COUNTERS = 8, INCREMENTS = 5000, PRODUCERS = 4, CONSUMERS = 4, ITEMS = 3000, SLOTS = 16 };

static struct mutex lock;
static struct cond not_empty, not_full;
static long counter;
static long queue[SLOTS];
static int queue_len, queue_head, producers_left;
static long consumed_sum, consumed_count;

static void *count_up(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        mutex_lock(&lock);
        long seen = counter;
        if (i % 500 == 0)
            usleep(200); /* held across a sleep: the others contend */
        counter = seen + 1;
        mutex_unlock(&lock);
    }
    return NULL;
}

static void *produce(void *arg)
{
    long base = (long)(intptr_t)arg * ITEMS;
    for (long i = 1; i <= ITEMS; i++) {
        mutex_lock(&lock);
        while (queue_len == SLOTS)
            cond_wait(&not_full, &lock);
        queue[(queue_head + queue_len++) % SLOTS] = base + i;
        cond_signal(&not_empty);
        mutex_unlock(&lock);
    }
    mutex_lock(&lock);
    if (--producers_left == 0)
        cond_broadcast(&not_empty);
    mutex_unlock(&lock);
    return NULL;
}

static void *consume(void *arg)
{
    (void)arg;
    for (;;) {
        mutex_lock(&lock);
        while (queue_len == 0 && producers_left > 0)
            cond_wait(&not_empty, &lock);
        if (queue_len == 0) {
            mutex_unlock(&lock);
            return NULL;
        }
        long item = queue[queue_head];
        queue_head = (queue_head + 1) % SLOTS;
        queue_len--;
        consumed_sum += item;
        consumed_count++;
        cond_signal(&not_full);
        mutex_unlock(&lock);
    }
}

static void check_glib_style_locks(void)
{
    pthread_t t[COUNTERS > PRODUCERS + CONSUMERS ? COUNTERS : PRODUCERS + CONSUMERS];
    for (int i = 0; i < COUNTERS; i++)
        t[i] = start_thread(NULL, count_up, NULL);
    report_os_threads("counters-alive");
    for (int i = 0; i < COUNTERS; i++)
        join_or_die(t[i]);
    printf("futex mutex: %d threads x %d increments = %ld\n", COUNTERS, INCREMENTS, counter);

    producers_left = PRODUCERS;
    for (int i = 0; i < PRODUCERS; i++)
        t[i] = start_thread(NULL, produce, (void *)(intptr_t)i);
    for (int i = 0; i < CONSUMERS; i++)
        t[PRODUCERS + i] = start_thread(NULL, consume, NULL);
    for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
        join_or_die(t[i]);
    long n = (long)PRODUCERS * ITEMS;
    printf("futex condition variable: %ld items through %d slots, sum right: %s\n",
           consumed_count, SLOTS, yes_no(consumed_sum == n * (n + 1) / 2));
}

/* ---- the kernel's answers ---- */

static void print_result(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, error_name(r < 0 ? errno : 0));
}

static void check_answers(void)
{
    uint32_t word = 7;
    print_result("FUTEX_WAIT when the word changed", futex_wait(&word, 8));
    struct timespec rel = {.tv_nsec = 20000000};
    print_result("FUTEX_WAIT, 20 ms", futex(&word, FUTEX_WAIT_PRIVATE, 7, &rel, NULL, 0));
    struct timespec mono = deadline_in(CLOCK_MONOTONIC, 20);
    print_result("FUTEX_WAIT_BITSET, monotonic deadline",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &mono, NULL, FUTEX_BITSET_MATCH_ANY));
    struct timespec real = deadline_in(CLOCK_REALTIME, 20);
    print_result("FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, realtime deadline",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 7, &real, NULL,
                       FUTEX_BITSET_MATCH_ANY));
    struct timespec past = deadline_in(CLOCK_MONOTONIC, -1000);
    print_result("FUTEX_WAIT_BITSET, deadline passed, word changed",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 8, &past, NULL, FUTEX_BITSET_MATCH_ANY));
    print_result("FUTEX_WAIT_BITSET with bitset 0",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, NULL, NULL, 0));
    struct timespec bad = {.tv_nsec = 1000000000};
    print_result("FUTEX_WAIT with tv_nsec 1e9", futex(&word, FUTEX_WAIT_PRIVATE, 7, &bad, NULL, 0));
    char bytes[8] __attribute__((aligned(4))) = {0};
    print_result("FUTEX_WAIT on a misaligned word",
                 futex((uint32_t *)(bytes + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    print_result("FUTEX_WAKE with nobody waiting", futex_wake(&word, 1));
    print_result("FUTEX_WAKE_BITSET with bitset 0",
                 futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));
}

/* ---- bitsets ---- */

static uint32_t bits_word;

struct bits_waiter {
    uint32_t bitset;
    atomic_bool done;
    long result;
};

static void *wait_bits(void *arg)
{
    struct bits_waiter *w = arg;
    w->result = futex(&bits_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, w->bitset);
    w->done = true;
    return NULL;
}

/* Wakes with bitset until one waiter is woken (natively the waiter may not be asleep yet). */
static void wake_one_with(uint32_t bitset)
{
    while (futex(&bits_word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, bitset) == 0)
        usleep(1000);
}

static void check_bitsets(void)
{
    struct bits_waiter a = {.bitset = 0x1}, b = {.bitset = 0x2};
    pthread_t ta = start_thread(NULL, wait_bits, &a), tb = start_thread(NULL, wait_bits, &b);
    wake_one_with(0x2);
    join_or_die(tb);
    bool a_still_waits = !a.done;
    wake_one_with(0x1);
    join_or_die(ta);
    printf("FUTEX_WAKE_BITSET 0x2 woke the waiter with 0x2 (%ld) and left the one with 0x1 "
           "waiting: %s; 0x1 then woke it (%ld)\n",
           b.result, yes_no(a_still_waits), a.result);
}

/* ---- wakes from elsewhere ---- */

static uint32_t timer_word;

static void wake_from_timer_thread(union sigval v)
{
    (void)v;
    __atomic_store_n(&timer_word, 1, __ATOMIC_SEQ_CST);
    futex_wake(&timer_word, 1);
}

static void check_wake_from_an_os_thread(void)
{
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD,
                          .sigev_notify_function = wake_from_timer_thread};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in_100ms = {.it_value = {.tv_nsec = 100000000}};
    must_succeed(timer_settime(timer, 0, &in_100ms, NULL) ? errno : 0, "timer_settime");
    long r = 0;
    while (__atomic_load_n(&timer_word, __ATOMIC_SEQ_CST) == 0 && r == 0)
        r = futex_wait(&timer_word, 0);
    printf("FUTEX_WAIT woken by a timer thread's FUTEX_WAKE: %ld %s, word %u\n", r,
           error_name(r < 0 && errno != EAGAIN ? errno : 0), timer_word);
    timer_delete(timer);
}

static void check_shared_futex_across_processes(void)
{
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    must_succeed(word == MAP_FAILED ? errno : 0, "mmap");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        __atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
        _exit(0);
    }
    long r = 0;
    while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0 && r == 0)
        r = futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
    printf("shared FUTEX_WAIT woken by another process: %ld, word %u\n", r, *word);
    waitpid(pid, NULL, 0);
    munmap(word, 4096);
}

static uint32_t requeue_from, requeue_to;

static void *wait_to_be_requeued(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)futex_wait(&requeue_from, 0);
}

static void check_requeue(void)
{
    pthread_t a = start_thread(NULL, wait_to_be_requeued, NULL);
    pthread_t b = start_thread(NULL, wait_to_be_requeued, NULL);
    long moved = 0;
    while (moved < 2) {
        long r = futex(&requeue_from, FUTEX_CMP_REQUEUE_PRIVATE, 0,
                       (const struct timespec *)(uintptr_t)INT_MAX, &requeue_to, 0);
        moved += r > 0 ? r : 0;
        if (moved < 2)
            usleep(1000);
    }
    futex_wake(&requeue_to, INT_MAX);
    long ra = (long)(intptr_t)join_or_die(a), rb = (long)(intptr_t)join_or_die(b);
    printf("FUTEX_CMP_REQUEUE of two waiters, then a wake of the target: they returned %ld "
           "and %ld\n",
           ra, rb);
}

/* ---- cooperation ---- */

static uint32_t coop_word;

static void wake_coop_word(void *unused)
{
    (void)unused;
    __atomic_store_n(&coop_word, 1, __ATOMIC_SEQ_CST);
    futex_wake(&coop_word, 1);
}

static void check_cooperation(void)
{
    struct coop_ticker t;
    coop_start(&t, "futex", wake_coop_word, NULL);
    long r = 0;
    while (__atomic_load_n(&coop_word, __ATOMIC_SEQ_CST) == 0 && r == 0)
        r = futex_wait(&coop_word, 0);
    int ticks = coop_ticks(&t);
    printf("FUTEX_WAIT ended by another thread's wake: %s, after it ticked %d times: %s\n",
           yes_no(r == 0 || errno == EAGAIN), COOP_TICKS,
           yes_no(coop_finish(&t) && ticks == COOP_TICKS));
}

int main(void)
{
    alarm(SAFETY_ALARM_S);
    check_glib_style_locks();
    pthread_t ticker = start_quiet_ticker();
    check_answers();
    check_bitsets();
    check_cooperation(); /* before glibc starts its timer thread */
    check_wake_from_an_os_thread();
    check_shared_futex_across_processes();
    check_requeue();
    stop_quiet_ticker(ticker);
    return 0;
}
