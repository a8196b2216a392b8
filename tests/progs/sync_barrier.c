/* Barriers:
 *  - main waits in pthread_barrier_wait while a ticker ticks and then enters the barrier
 *    as its second thread: both return, the last to arrive (the ticker) with
 *    PTHREAD_BARRIER_SERIAL_THREAD;
 *  - four threads, 50 rounds: one serial thread per round, and no thread gets ahead of a
 *    round the others have not finished;
 *  - threads that arrive one after another: the last one is the serial thread;
 *  - the serial thread destroys the barrier as soon as it returns, while the others have
 *    not left yet: destroy waits for them and returns 0; a barrier of one always returns
 *    PTHREAD_BARRIER_SERIAL_THREAD;
 *  - a thread that glibc starts itself (a timer's SIGEV_THREAD callback) is the second
 *    thread of main's barrier.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits. */
#include "coop.h"

static pthread_barrier_t barrier;

static const char *serial_or_0(int r)
{
    return r == PTHREAD_BARRIER_SERIAL_THREAD ? "serial" : r == 0 ? "0" : error_name(r);
}

/* ---- main waits, the ticker completes the round ---- */

static int ticker_result;

static void enter_barrier(void *arg)
{
    (void)arg;
    ticker_result = pthread_barrier_wait(&barrier);
}

static void main_waits(void)
{
    must_succeed(pthread_barrier_init(&barrier, NULL, 2), "pthread_barrier_init");
    struct coop_ticker t;
    coop_start(&t, "barrier", enter_barrier, NULL);
    int r = pthread_barrier_wait(&barrier);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("pthread_barrier_wait until the ticker came: main %s, ticker %s, ticks meanwhile: "
           "%d\n",
           serial_or_0(r), serial_or_0(ticker_result), ticks);
    must_succeed(pthread_barrier_destroy(&barrier), "pthread_barrier_destroy");
}

/* ---- rounds ---- */

enum { PARTIES = 4, ROUNDS = 50 };
static atomic_int serials[ROUNDS], arrived[ROUNDS];
static atomic_bool out_of_step;

static void *party(void *arg)
{
    (void)arg;
    for (int round = 0; round < ROUNDS; round++) {
        arrived[round]++;
        if (round > 0 && arrived[round - 1] != PARTIES)
            out_of_step = true;
        if (round % 7 == 0)
            usleep(100);
        int r = pthread_barrier_wait(&barrier);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD)
            serials[round]++;
        else if (r != 0)
            out_of_step = true;
        if (arrived[round] != PARTIES)
            out_of_step = true;
    }
    return NULL;
}

static void rounds(void)
{
    must_succeed(pthread_barrier_init(&barrier, NULL, PARTIES), "pthread_barrier_init");
    pthread_t t[PARTIES];
    for (int i = 0; i < PARTIES; i++)
        t[i] = start_thread(NULL, party, NULL);
    for (int i = 0; i < PARTIES; i++)
        join_or_die(t[i]);
    bool one_each = true;
    for (int i = 0; i < ROUNDS; i++)
        one_each = one_each && serials[i] == 1;
    printf("%d threads, %d rounds: one serial thread per round: %s, in step: %s\n", PARTIES,
           ROUNDS, yes_no(one_each), yes_no(!out_of_step));
    must_succeed(pthread_barrier_destroy(&barrier), "pthread_barrier_destroy");
}

/* ---- who is serial, and destroy at once ---- */

static int results[PARTIES];
static atomic_int destroy_result = -1;

static void *arrive_in_turn(void *arg)
{
    int me = (int)(intptr_t)arg;
    usleep(30000 * me);
    results[me] = pthread_barrier_wait(&barrier);
    if (results[me] == PTHREAD_BARRIER_SERIAL_THREAD)
        destroy_result = pthread_barrier_destroy(&barrier);
    return NULL;
}

static void last_is_serial(void)
{
    must_succeed(pthread_barrier_init(&barrier, NULL, PARTIES), "pthread_barrier_init");
    pthread_t t[PARTIES];
    for (int i = 0; i < PARTIES; i++)
        t[i] = start_thread(NULL, arrive_in_turn, (void *)(intptr_t)i);
    for (int i = 0; i < PARTIES; i++)
        join_or_die(t[i]);
    printf("threads arriving in turn get:");
    for (int i = 0; i < PARTIES; i++)
        printf(" %s", serial_or_0(results[i]));
    printf("; the serial one destroys the barrier at once: %s\n", error_name(destroy_result));

    must_succeed(pthread_barrier_init(&barrier, NULL, 1), "pthread_barrier_init");
    int a = pthread_barrier_wait(&barrier), b = pthread_barrier_wait(&barrier);
    printf("a barrier of one: %s %s\n", serial_or_0(a), serial_or_0(b));
    must_succeed(pthread_barrier_destroy(&barrier), "pthread_barrier_destroy");
}

/* ---- a thread glibc starts itself ---- */

static int stranger_result;
static atomic_bool stranger_done;

static void stranger_enters(union sigval v)
{
    (void)v;
    stranger_result = pthread_barrier_wait(&barrier);
    stranger_done = true;
}

static void *idle(void *arg)
{
    (void)arg;
    usleep(300000);
    return NULL;
}

static void with_a_stranger(void)
{
    pthread_t other = start_thread(NULL, idle, NULL); /* so that main's wait is a green one */
    must_succeed(pthread_barrier_init(&barrier, NULL, 2), "pthread_barrier_init");
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = stranger_enters};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in_20ms = {.it_value = {.tv_nsec = 20000000}};
    must_succeed(timer_settime(timer, 0, &in_20ms, NULL) ? errno : 0, "timer_settime");
    int r = pthread_barrier_wait(&barrier);
    for (int i = 0; i < 5000 && !stranger_done; i++)
        usleep(1000);
    printf("with a timer thread as the second thread: main %s, timer thread %s\n",
           serial_or_0(r), serial_or_0(stranger_result));
    timer_delete(timer);
    join_or_die(other);
    must_succeed(pthread_barrier_destroy(&barrier), "pthread_barrier_destroy");
}

int main(void)
{
    alarm(30);
    printf("sync_barrier start\n");
    main_waits();
    rounds();
    last_is_serial();
    with_a_stranger();
    printf("sync_barrier done\n");
    return 0;
}
