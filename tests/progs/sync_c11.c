/* C11 threads (<threads.h>), which glibc implements by calling its pthread functions
 * directly:
 *  - thrd_create / thrd_join with the start routine's int result (negative ones too) and
 *    thrd_exit's; thrd_current is what thrd_create gave; thrd_detach; joining a detached
 *    thread is an error;
 *  - main waits in thrd_join, mtx_lock, mtx_timedlock, cnd_wait, cnd_timedwait and
 *    call_once while a ticker ticks and then ends the wait; thrd_sleep lets the ticker
 *    run; thrd_yield too, until the ticker sets a flag;
 *  - mtx_trylock of a held mutex is thrd_busy, mtx_timedlock and cnd_timedwait time out
 *    with thrd_timedout; a recursive mutex locks twice; cnd_broadcast wakes every waiter;
 *  - a signal handler makes thrd_sleep return -1;
 *  - tss_create / tss_set / tss_get / tss_delete in one thread.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits. */
#include "coop.h"

#include <semaphore.h>
#include <threads.h>

static const char *c11_name(int r)
{
    switch (r) {
    case thrd_success:
        return "thrd_success";
    case thrd_busy:
        return "thrd_busy";
    case thrd_error:
        return "thrd_error";
    case thrd_nomem:
        return "thrd_nomem";
    case thrd_timedout:
        return "thrd_timedout";
    default:
        return "?";
    }
}

static struct timespec realtime_in(long ms) { return deadline_in(CLOCK_REALTIME, ms); }

/* ---- create, join, exit, detach ---- */

static thrd_t seen_current;

static int return_arg(void *arg)
{
    seen_current = thrd_current();
    return (int)(intptr_t)arg;
}

static int exit_with_arg(void *arg)
{
    thrd_exit((int)(intptr_t)arg);
}

static int sleep_briefly(void *arg)
{
    (void)arg;
    thrd_sleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    return 0;
}

static void life_cycle(void)
{
    thrd_t t;
    int res = 0;
    int c = thrd_create(&t, return_arg, (void *)(intptr_t)42);
    int j = thrd_join(t, &res);
    printf("thrd_create: %s, thrd_join: %s, result %d, thrd_current in the thread was its "
           "thrd_t: %s\n",
           c11_name(c), c11_name(j), res, yes_no(thrd_equal(seen_current, t)));
    thrd_create(&t, return_arg, (void *)(intptr_t)-7);
    thrd_join(t, &res);
    printf("a negative result: %d", res);
    thrd_create(&t, exit_with_arg, (void *)(intptr_t)-123456);
    thrd_join(t, &res);
    printf(", thrd_exit's: %d", res);
    printf(", main's thrd_current equals itself: %s\n",
           yes_no(thrd_equal(thrd_current(), thrd_current())));
    thrd_create(&t, sleep_briefly, NULL);
    int d = thrd_detach(t);
    int again = thrd_join(t, NULL);
    printf("thrd_detach: %s, thrd_join of the detached thread: %s\n", c11_name(d),
           c11_name(again));
    thrd_sleep(&(struct timespec){.tv_nsec = 50000000}, NULL); /* it is gone by then */
}

/* ---- waits the ticker ends ---- */

static mtx_t mtx;
static cnd_t cnd;
static bool flag;

static void set_flag_and_signal(void *arg)
{
    (void)arg;
    mtx_lock(&mtx);
    flag = true;
    cnd_signal(&cnd);
    mtx_unlock(&mtx);
}

static int wait_for_flag(void *arg)
{
    (void)arg;
    mtx_lock(&mtx);
    while (!flag)
        cnd_wait(&cnd, &mtx);
    mtx_unlock(&mtx);
    return 5;
}

static void join_waits(void)
{
    flag = false;
    thrd_t t;
    thrd_create(&t, wait_for_flag, NULL);
    struct coop_ticker tk;
    coop_start(&tk, "thrd_join", set_flag_and_signal, NULL);
    int res = 0;
    int r = thrd_join(t, &res);
    int ticks = coop_ticks(&tk);
    coop_finish(&tk);
    printf("thrd_join until the thread ended: %s, result %d, ticks meanwhile: %d\n", c11_name(r),
           res, ticks);
}

static void cnd_waits(void)
{
    flag = false;
    struct coop_ticker tk;
    mtx_lock(&mtx);
    coop_start(&tk, "cnd_wait", set_flag_and_signal, NULL);
    int r = thrd_success;
    while (!flag && r == thrd_success)
        r = cnd_wait(&cnd, &mtx);
    int ticks = coop_ticks(&tk);
    mtx_unlock(&mtx);
    coop_finish(&tk);
    printf("cnd_wait until signalled: %s, ticks meanwhile: %d\n", c11_name(r), ticks);

    flag = false;
    mtx_lock(&mtx);
    coop_start(&tk, "cnd_timedwait", set_flag_and_signal, NULL);
    struct timespec at = realtime_in(10000);
    r = thrd_success;
    while (!flag && r == thrd_success)
        r = cnd_timedwait(&cnd, &mtx, &at);
    ticks = coop_ticks(&tk);
    mtx_unlock(&mtx);
    coop_finish(&tk);
    printf("cnd_timedwait until signalled: %s, ticks meanwhile: %d", c11_name(r), ticks);

    mtx_lock(&mtx);
    at = realtime_in(30);
    r = cnd_timedwait(&cnd, &mtx, &at);
    int owned = mtx_trylock(&mtx); /* a plain mutex its thread holds: busy */
    mtx_unlock(&mtx);
    printf(", with nobody signalling: %s, the mutex held after: %s\n", c11_name(r),
           yes_no(owned == thrd_busy));
}

enum { WAITERS = 3 };
static int woken;

static int wait_for_broadcast(void *arg)
{
    (void)arg;
    mtx_lock(&mtx);
    while (!flag)
        cnd_wait(&cnd, &mtx);
    woken++;
    mtx_unlock(&mtx);
    return 0;
}

static void broadcast(void)
{
    flag = false;
    woken = 0;
    thrd_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        thrd_create(&t[i], wait_for_broadcast, NULL);
    thrd_sleep(&(struct timespec){.tv_nsec = 30000000}, NULL);
    mtx_lock(&mtx);
    flag = true;
    int r = cnd_broadcast(&cnd);
    mtx_unlock(&mtx);
    for (int i = 0; i < WAITERS; i++)
        thrd_join(t[i], NULL);
    printf("cnd_broadcast: %s, waiters woken: %d of %d\n", c11_name(r), woken, WAITERS);
}

/* A thread that holds mtx until told. */
static sem_t holds, release;

static int hold_mtx(void *arg)
{
    (void)arg;
    mtx_lock(&mtx);
    sem_post(&holds);
    while (sem_wait(&release) != 0)
        ;
    mtx_unlock(&mtx);
    return 0;
}

static void let_go(void *arg)
{
    (void)arg;
    sem_post(&release);
}

static void mutex_waits(bool timed, const char *where)
{
    sem_init(&holds, 0, 0);
    sem_init(&release, 0, 0);
    thrd_t holder;
    thrd_create(&holder, hold_mtx, NULL);
    while (sem_wait(&holds) != 0)
        ;
    int busy = mtx_trylock(&mtx);
    struct coop_ticker tk;
    coop_start(&tk, where, let_go, NULL);
    struct timespec at = realtime_in(10000);
    int r = timed ? mtx_timedlock(&mtx, &at) : mtx_lock(&mtx);
    int ticks = coop_ticks(&tk);
    coop_finish(&tk);
    mtx_unlock(&mtx);
    thrd_join(holder, NULL);
    printf("%s while another thread holds it: %s (mtx_trylock: %s), ticks meanwhile: %d\n",
           timed ? "mtx_timedlock" : "mtx_lock", c11_name(r), c11_name(busy), ticks);
}

static void mutex_timeout(void)
{
    sem_init(&holds, 0, 0);
    sem_init(&release, 0, 0);
    thrd_t holder;
    thrd_create(&holder, hold_mtx, NULL);
    while (sem_wait(&holds) != 0)
        ;
    struct timespec at = realtime_in(30);
    int r = mtx_timedlock(&mtx, &at);
    sem_post(&release);
    thrd_join(holder, NULL);
    mtx_t rec;
    mtx_init(&rec, mtx_recursive);
    int a = mtx_lock(&rec), b = mtx_lock(&rec), c = mtx_unlock(&rec), d = mtx_unlock(&rec);
    mtx_destroy(&rec);
    printf("mtx_timedlock while another thread holds it: %s; a recursive mutex: lock %s %s, "
           "unlock %s %s\n",
           c11_name(r), c11_name(a), c11_name(b), c11_name(c), c11_name(d));
}

/* ---- call_once ---- */

static once_flag once = ONCE_FLAG_INIT;
static int once_runs;
static bool once_finished;

static void routine(void)
{
    once_runs++;
    while (sem_wait(&release) != 0)
        ;
    once_finished = true;
}

static int run_call_once(void *arg)
{
    (void)arg;
    call_once(&once, routine);
    return 0;
}

static void call_once_waits(void)
{
    sem_init(&release, 0, 0);
    thrd_t runner;
    thrd_create(&runner, run_call_once, NULL);
    while (once_runs == 0)
        thrd_sleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    struct coop_ticker tk;
    coop_start(&tk, "call_once", let_go, NULL);
    call_once(&once, routine);
    bool finished = once_finished;
    int ticks = coop_ticks(&tk);
    coop_finish(&tk);
    thrd_join(runner, NULL);
    printf("call_once while another thread runs the routine: returned after it finished: %s, "
           "runs: %d, ticks meanwhile: %d\n",
           yes_no(finished), once_runs, ticks);
}

/* ---- thrd_sleep, thrd_yield ---- */

static pthread_t main_thread;
static atomic_bool main_returned, yield_flag;

static void on_usr1(int sig) { (void)sig; }

static void signal_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 500 && !main_returned; i++) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(10000);
    }
}

static void set_yield_flag(void *arg)
{
    (void)arg;
    yield_flag = true;
}

static void sleeps_and_yields(void)
{
    struct coop_ticker tk;
    coop_start(&tk, "thrd_sleep", NULL, NULL);
    int r = thrd_sleep(&(struct timespec){.tv_nsec = 30000000}, NULL);
    coop_finish(&tk);
    printf("thrd_sleep 30 ms: %d", r);

    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    main_thread = pthread_self();
    coop_start(&tk, "thrd_sleep-signal", signal_main, NULL);
    struct timespec left = {0};
    r = thrd_sleep(&(struct timespec){.tv_sec = 20}, &left);
    main_returned = true;
    coop_finish(&tk);
    printf(", interrupted by a handler: %d, time left reported: %s", r,
           yes_no(left.tv_sec > 0 && left.tv_sec <= 20));
    r = thrd_sleep(&(struct timespec){.tv_nsec = -1}, NULL);
    printf(", with tv_nsec -1: %d\n", r);

    coop_start(&tk, "thrd_yield", set_yield_flag, NULL);
    struct timespec limit = deadline_in(CLOCK_MONOTONIC, 10000);
    while (!yield_flag && !deadline_reached(CLOCK_MONOTONIC, limit))
        thrd_yield();
    int ticks = coop_ticks(&tk);
    coop_finish(&tk);
    printf("thrd_yield until another thread sets a flag: flag set: %s, ticks meanwhile: %d\n",
           yes_no(yield_flag), ticks);
}

/* ---- tss ---- */

static void tss_in_main(void)
{
    tss_t key;
    int c = tss_create(&key, NULL);
    void *before = tss_get(key);
    int s = tss_set(key, &key);
    void *after = tss_get(key);
    tss_delete(key);
    printf("tss_create: %s, tss_get before tss_set: %s, tss_set: %s, tss_get after: %s\n",
           c11_name(c), before ? "a value" : "NULL", c11_name(s),
           after == &key ? "the value" : "?");
}

int main(void)
{
    alarm(30);
    printf("sync_c11 start\n");
    mtx_init(&mtx, mtx_plain);
    cnd_init(&cnd);
    life_cycle();
    join_waits();
    cnd_waits();
    broadcast();
    mutex_waits(false, "mtx_lock");
    mutex_waits(true, "mtx_timedlock");
    mutex_timeout();
    call_once_waits();
    sleeps_and_yields();
    tss_in_main();
    cnd_destroy(&cnd);
    mtx_destroy(&mtx);
    printf("sync_c11 done\n");
    return 0;
}
