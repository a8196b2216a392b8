/* POSIX semaphores, private ones (sem_init with pshared 0):
 *  - sem_wait, sem_timedwait and sem_clockwait (both clocks) wait while another thread
 *    ticks, then take the token it posts;
 *  - the timed waits time out with ETIMEDOUT (a deadline ahead, and one in the past), and
 *    fail with EINVAL for tv_nsec out of range or an unsupported clock, even when a token
 *    is there (glibc checks first), leaving the token;
 *  - a signal handler ends sem_wait with EINTR, but under SA_RESTART sem_wait goes on
 *    waiting (until a post), while sem_timedwait and sem_clockwait fail with EINTR whatever
 *    SA_RESTART says (as glibc's futex waits with and without a timeout: signal(7));
 *  - eight waiters, eight posts: each waiter gets one token and the value ends at 0;
 *    sem_trywait then says EAGAIN; sem_post at SEM_VALUE_MAX says EOVERFLOW;
 *  - a signal handler's sem_post (while main keeps busy) wakes a waiting thread;
 *  - a thread that glibc starts itself (a timer's SIGEV_THREAD callback) waits in the
 *    kernel for a token this program's thread posts, then posts one that the program's
 *    thread waits for (with another thread alive, so that under the shim main's waits are
 *    green ones).
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits. */
#include "coop.h"
#include "sem_waits.h"

#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <sys/time.h>

static sem_t sem;
static atomic_bool main_returned;

static void post_sem(void *arg)
{
    (void)arg;
    must_succeed(sem_post(&sem) ? errno : 0, "sem_post");
}

static int value_of(sem_t *s)
{
    int v;
    must_succeed(sem_getvalue(s, &v) ? errno : 0, "sem_getvalue");
    return v;
}

/* ---- waits that a post ends ---- */

static void woken_by_a_post(enum wait_kind kind, const char *where)
{
    struct coop_ticker t;
    must_succeed(sem_init(&sem, 0, 0) ? errno : 0, "sem_init");
    coop_start(&t, where, post_sem, NULL);
    errno = 0;
    int r = wait_in(kind, &sem, 10000);
    int error = errno;
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("%s woken by another thread's post: %s, errno %s, ticks meanwhile: %d, value after: "
           "%d\n",
           wait_names[kind], result(r, error), error_name(error), ticks, value_of(&sem));
    sem_destroy(&sem);
}

/* ---- timeouts and bad arguments ---- */

static void times_out(enum wait_kind kind)
{
    struct coop_ticker t;
    must_succeed(sem_init(&sem, 0, 0) ? errno : 0, "sem_init");
    coop_start(&t, "timeout", NULL, NULL);
    int r = wait_in(kind, &sem, 50);
    int error = errno;
    coop_finish(&t);
    printf("%s with nobody posting: %s\n", wait_names[kind], result(r, error));
    sem_destroy(&sem);
}

static void bad_arguments(void)
{
    must_succeed(sem_init(&sem, 0, 1) ? errno : 0, "sem_init");
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000};
    int r = sem_timedwait(&sem, &bad);
    printf("sem_timedwait with tv_nsec 1e9 and a token there: %s", result(r, errno));
    r = sem_clockwait(&sem, CLOCK_PROCESS_CPUTIME_ID, &bad);
    printf(", sem_clockwait on CLOCK_PROCESS_CPUTIME_ID: %s", result(r, errno));
    printf(", token still there: %s\n", yes_no(value_of(&sem) == 1));
    must_succeed(sem_wait(&sem) ? errno : 0, "sem_wait");
    struct timespec past = {.tv_sec = -1};
    r = sem_timedwait(&sem, &past);
    printf("sem_timedwait with tv_sec -1: %s", result(r, errno));
    past = deadline_in(CLOCK_MONOTONIC, -10);
    r = sem_clockwait(&sem, CLOCK_MONOTONIC, &past);
    printf(", sem_clockwait with a deadline passed: %s", result(r, errno));
    must_succeed(sem_post(&sem) ? errno : 0, "sem_post");
    r = sem_clockwait(&sem, CLOCK_MONOTONIC, &past);
    printf(", the same with a token there: %s\n", result(r, errno));
    sem_destroy(&sem);
}

/* ---- signals ---- */

static pthread_t main_thread;
static atomic_int handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void install_usr1(int flags)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(SIGUSR1, &sa, NULL) ? errno : 0, "sigaction");
}

/* Natively the signal must find main inside its wait: send it until the wait is over, or
 * (for a wait the handler restarts) until the handler has run, then post. */
static void signal_main(void *arg)
{
    bool then_post = arg != NULL;
    for (int i = 0; i < 500 && !main_returned && !(then_post && handled); i++) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(10000);
    }
    if (then_post)
        post_sem(NULL);
}

static void interrupted(enum wait_kind kind, int flags, const char *where)
{
    struct coop_ticker t;
    must_succeed(sem_init(&sem, 0, 0) ? errno : 0, "sem_init");
    install_usr1(flags);
    main_returned = false;
    handled = 0;
    bool restarts = kind == WAIT && flags == SA_RESTART;
    coop_start(&t, where, signal_main, restarts ? &sem : NULL);
    int r = wait_in(kind, &sem, 20000);
    int error = errno;
    main_returned = true;
    coop_finish(&t);
    printf("%s, a handler %s SA_RESTART ran: %s\n", wait_names[kind],
           flags == SA_RESTART ? "with" : "without", result(r, error));
    sem_destroy(&sem);
}

/* ---- many waiters ---- */

enum { WAITERS = 8 };
static atomic_int tokens_taken;

static void *take_one(void *arg)
{
    (void)arg;
    must_succeed(sem_wait(&sem) ? errno : 0, "sem_wait");
    tokens_taken++;
    return NULL;
}

static void many_waiters(void)
{
    must_succeed(sem_init(&sem, 0, 0) ? errno : 0, "sem_init");
    pthread_t w[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        w[i] = start_thread(NULL, take_one, NULL);
    usleep(20000);
    for (int i = 0; i < WAITERS; i++) {
        must_succeed(sem_post(&sem) ? errno : 0, "sem_post");
        if (i % 2)
            usleep(1000);
    }
    for (int i = 0; i < WAITERS; i++)
        join_or_die(w[i]);
    int r = sem_trywait(&sem);
    printf("%d waiters, %d posts: tokens taken: %d, value after: %d, sem_trywait: %s\n",
           WAITERS, WAITERS, (int)tokens_taken, value_of(&sem), result(r, errno));
    sem_destroy(&sem);
    must_succeed(sem_init(&sem, 0, SEM_VALUE_MAX) ? errno : 0, "sem_init");
    r = sem_post(&sem);
    printf("sem_post at SEM_VALUE_MAX: %s, value: %s\n", result(r, errno),
           value_of(&sem) == SEM_VALUE_MAX ? "unchanged" : "changed");
    sem_destroy(&sem);
}

/* ---- a signal handler posts ---- */

static atomic_bool handler_woke_waiter;
static int handler_wait_result;

static void post_from_handler(int sig)
{
    (void)sig;
    sem_post(&sem);
}

static void *wait_for_the_handler(void *arg)
{
    (void)arg;
    handler_wait_result = sem_wait(&sem);
    handler_woke_waiter = true;
    return NULL;
}

/* A thread waits; main keeps busy, yielding, while a timer's SIGALRM runs a handler that
 * posts (sem_post is async-signal-safe). Natively the handler runs in main or in the
 * waiter (whose wait SA_RESTART restarts); under the shim it interrupts main wherever it
 * is. */
static void handler_posts(void)
{
    must_succeed(sem_init(&sem, 0, 0) ? errno : 0, "sem_init");
    struct sigaction sa = {.sa_handler = post_from_handler, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(SIGALRM, &sa, NULL) ? errno : 0, "sigaction");
    handler_woke_waiter = false;
    pthread_t waiter = start_thread(NULL, wait_for_the_handler, NULL);
    struct itimerval in_20ms = {.it_value = {.tv_usec = 20000}};
    must_succeed(setitimer(ITIMER_REAL, &in_20ms, NULL) ? errno : 0, "setitimer");
    struct timespec limit = deadline_in(CLOCK_MONOTONIC, 10000);
    while (!handler_woke_waiter && !deadline_reached(CLOCK_MONOTONIC, limit))
        sched_yield();
    join_or_die(waiter);
    printf("a signal handler's sem_post woke the waiting thread: %s, its sem_wait: %s\n",
           yes_no(handler_woke_waiter), result(handler_wait_result, errno));
    signal(SIGALRM, SIG_DFL);
    sem_destroy(&sem);
}

/* ---- a thread glibc starts itself ---- */

static sem_t to_stranger, from_stranger;

static void *idle(void *arg)
{
    (void)arg;
    usleep(300000);
    return NULL;
}

static void stranger_callback(union sigval v)
{
    (void)v;
    must_succeed(sem_wait(&to_stranger) ? errno : 0, "stranger's sem_wait");
    must_succeed(sem_post(&from_stranger) ? errno : 0, "stranger's sem_post");
}

static void with_a_stranger(void)
{
    pthread_t other = start_thread(NULL, idle, NULL); /* so that main's waits are green */
    must_succeed(sem_init(&to_stranger, 0, 0) ? errno : 0, "sem_init");
    must_succeed(sem_init(&from_stranger, 0, 0) ? errno : 0, "sem_init");
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = stranger_callback};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in_20ms = {.it_value = {.tv_nsec = 20000000}};
    must_succeed(timer_settime(timer, 0, &in_20ms, NULL) ? errno : 0, "timer_settime");
    usleep(100000); /* the callback waits in the kernel by now (or soon: the token waits) */
    must_succeed(sem_post(&to_stranger) ? errno : 0, "sem_post");
    struct timespec at = deadline_in(CLOCK_REALTIME, 10000);
    int r = sem_timedwait(&from_stranger, &at);
    printf("a timer thread took this thread's token and posted one back: %s\n",
           result(r, errno));
    timer_delete(timer);
    join_or_die(other);
}

int main(void)
{
    alarm(30);
    main_thread = pthread_self();
    printf("sync_sem start\n");
    woken_by_a_post(WAIT, "sem_wait");
    woken_by_a_post(TIMEDWAIT, "sem_timedwait");
    woken_by_a_post(CLOCKWAIT_MONOTONIC, "sem_clockwait");
    woken_by_a_post(CLOCKWAIT_REALTIME, "sem_clockwait-realtime");
    times_out(TIMEDWAIT);
    times_out(CLOCKWAIT_MONOTONIC);
    times_out(CLOCKWAIT_REALTIME);
    bad_arguments();
    interrupted(WAIT, 0, "sem_wait-signal");
    interrupted(WAIT, SA_RESTART, "sem_wait-signal-restart");
    interrupted(TIMEDWAIT, SA_RESTART, "sem_timedwait-signal");
    interrupted(CLOCKWAIT_MONOTONIC, SA_RESTART, "sem_clockwait-signal");
    many_waiters();
    handler_posts();
    with_a_stranger();
    printf("sync_sem done\n");
    return 0;
}
