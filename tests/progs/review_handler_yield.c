/* A signal handler that writes to a full non-blocking pipe (the self-pipe trick, when the
 * reader is behind) gets EAGAIN, many times, while two threads switch with sched_yield.
 * Natively nothing happens but the EAGAIN. Under the shim the handler runs at once, in the
 * middle of whatever the interrupted green thread was doing (possibly the scheduler's own
 * run-queue update): a "not yet" answer must not switch green threads there. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SIGNALS_WANTED 3000

static int wake_pipe[2];
static volatile sig_atomic_t handled, not_eagain, stop;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(wake_pipe[1], "x", 1) != -1 || errno != EAGAIN)
        not_eagain = 1;
    handled++;
    errno = saved;
}

static void *yielder(void *arg)
{
    (void)arg;
    for (long i = 0; !stop && i < 2000000000L; i++)
        sched_yield();
    return NULL;
}

int main(void)
{
    /* The watchdog: SIGALRM is the storm's. */
    timer_t dog;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL};
    struct itimerspec dog_at = {.it_value = {.tv_sec = 10}};
    if (timer_create(CLOCK_MONOTONIC, &ev, &dog) || timer_settime(dog, 0, &dog_at, NULL))
        return 1;
    if (pipe(wake_pipe) || fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK))
        return 1;
    while (write(wake_pipe[1], "x", 1) == 1)
        ;
    printf("pipe full: %s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, yielder, NULL))
        return 1;
    struct itimerval storm = {.it_interval = {.tv_usec = 50}, .it_value = {.tv_usec = 50}};
    setitimer(ITIMER_REAL, &storm, NULL);
    while (handled < SIGNALS_WANTED)
        sched_yield();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    stop = 1;
    pthread_join(t, NULL);
    printf("handler writes: %s\n", not_eagain ? "not EAGAIN" : "EAGAIN");
    printf("done\n");
    return not_eagain;
}
