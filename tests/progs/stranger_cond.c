/* A thread that glibc starts itself (a timer's SIGEV_THREAD callback, which under the shim
 * stays an OS thread) signals a condition variable that a green thread waits on: the
 * waiter wakes, as natively, instead of sleeping through the signal. */
#include "thread_prog.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fired = PTHREAD_COND_INITIALIZER;
static bool done;

static void on_timer(union sigval v)
{
    (void)v;
    pthread_mutex_lock(&lock);
    done = true;
    pthread_cond_signal(&fired);
    pthread_mutex_unlock(&lock);
}

static void *idle(void *arg)
{
    (void)arg;
    usleep(300000);
    return NULL;
}

int main(void)
{
    pthread_t other = start_thread(NULL, idle, NULL); /* so that main's wait is a green one */
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_timer};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in_100ms = {.it_value = {.tv_nsec = 100000000}};
    must_succeed(timer_settime(timer, 0, &in_100ms, NULL) ? errno : 0, "timer_settime");
    struct timespec at = deadline_in(CLOCK_REALTIME, 5000);
    int r = 0;
    pthread_mutex_lock(&lock);
    while (!done && r == 0)
        r = pthread_cond_timedwait(&fired, &lock, &at);
    pthread_mutex_unlock(&lock);
    printf("woken by the timer thread's signal: %s (%s)\n", yes_no(done), error_name(r));
    join_or_die(other);
    timer_delete(timer);
    return 0;
}
