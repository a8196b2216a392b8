/* Green threads in several states at once, then a SIGUSR2 to itself (the thread dump's
 * signal in tests/test_tools.c): one reads an empty pipe, one sleeps, one waits for a
 * mutex main holds, one waits on a condition variable, one joins the reader, one yields
 * in a loop, and one is created just before the signal (under the shim it has not run
 * when the dump is written). Main then
 * ends every wait and prints what each thread got. The program has a SIGUSR2 handler of
 * its own, which runs natively; under the shim with GREENPATCH_DUMP_SIGNAL=SIGUSR2 the
 * signal is the shim's and the handler never runs (what the program prints is the same
 * either way). */
#include "tools_util.h"

#include <sched.h>
#include <signal.h>
#include <time.h>

static int pipe_fds[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_flag;
static pthread_t reader;
static volatile sig_atomic_t usr2_seen;
static volatile int stop_yielding;

static void on_usr2(int sig)
{
    (void)sig;
    usr2_seen = 1;
}

void *reader_thread(void *arg)
{
    (void)arg;
    char c = 0;
    ssize_t n = read(pipe_fds[0], &c, 1);
    return (void *)(intptr_t)(n == 1 ? c : -1);
}

void *sleeper_thread(void *arg)
{
    (void)arg;
    struct timespec ts = {.tv_sec = 30};
    nanosleep(&ts, NULL); /* ended by pthread_cancel */
    return NULL;
}

void *mutex_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return (void *)1;
}

void *cond_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cond_lock);
    while (!cond_flag)
        pthread_cond_wait(&cond, &cond_lock);
    pthread_mutex_unlock(&cond_lock);
    return (void *)2;
}

void *joiner_thread(void *arg)
{
    (void)arg;
    void *got = NULL;
    tools_join(reader, &got);
    return got;
}

void *yielder_thread(void *arg)
{
    (void)arg;
    long yields = 0;
    while (!stop_yielding)
        if (sched_yield() == 0)
            yields++;
    return (void *)(intptr_t)(yields > 0);
}

void *late_thread(void *arg)
{
    (void)arg;
    return (void *)3;
}

static void pause_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR2, on_usr2);
    DETECT_CHECK(pipe(pipe_fds) == 0, "pipe");
    pthread_mutex_lock(&held);
    reader = tools_start(reader_thread, NULL, "reader");
    pthread_t sleeper = tools_start(sleeper_thread, NULL, "sleeper");
    pthread_t locker = tools_start(mutex_thread, NULL, "locker");
    pthread_t waiter = tools_start(cond_thread, NULL, "waiter");
    pthread_t joiner = tools_start(joiner_thread, NULL, "joiner");
    pthread_t yielder = tools_start(yielder_thread, NULL, "yielder");
    pause_ms(200); /* every thread reaches its wait */
    pthread_t late = tools_start(late_thread, NULL, "late");
    DETECT_CHECK(kill(getpid(), SIGUSR2) == 0, "kill");
    pause_ms(200); /* the dump is written meanwhile */

    pthread_mutex_unlock(&held);
    pthread_mutex_lock(&cond_lock);
    cond_flag = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&cond_lock);
    DETECT_CHECK(write(pipe_fds[1], "x", 1) == 1, "write");
    pthread_cancel(sleeper);
    stop_yielding = 1;

    void *got;
    tools_join(joiner, &got);
    printf("joiner: the reader read '%c'\n", (char)(intptr_t)got);
    tools_join(sleeper, &got);
    printf("sleeper: %s\n", got == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
    tools_join(locker, &got);
    printf("locker: %ld\n", (long)(intptr_t)got);
    tools_join(waiter, &got);
    printf("waiter: %ld\n", (long)(intptr_t)got);
    tools_join(yielder, &got);
    printf("yielder: %ld\n", (long)(intptr_t)got);
    tools_join(late, &got);
    printf("late: %ld\n", (long)(intptr_t)got);
    return 0;
}
