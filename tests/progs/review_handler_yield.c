/* A signal handler gets "not yet" answers, many times, while two threads switch with
 * sched_yield: argv[1] says which: "write" to a full non-blocking pipe (the self-pipe
 * trick, when the reader is behind: EAGAIN), "waitpid" WNOHANG for a child still running
 * (a SIGCHLD reaper: 0), "poll" with a zero timeout (0), "nanosleep" of no time (0), all
 * async-signal-safe. Natively nothing happens but the answer. Under the shim the handler
 * runs at once, in the middle of whatever the interrupted green thread was doing (possibly
 * the scheduler's own run-queue update): a "not yet" answer must not switch green threads
 * there. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIGNALS_WANTED 3000

static int wake_pipe[2];
static pid_t child;
static const char *call;
static volatile sig_atomic_t handled, not_yet_missed, stop;

/* Whether the handler's call answered "not yet" as expected. */
static int not_yet(void)
{
    switch (call[0]) {
    case 'w':
        return write(wake_pipe[1], "x", 1) == -1 && errno == EAGAIN;
    case 'p': {
        struct pollfd p = {.fd = wake_pipe[1], .events = POLLOUT};
        return poll(&p, 1, 0) == 0;
    }
    case 'n': {
        struct timespec zero = {0, 0};
        return nanosleep(&zero, NULL) == 0;
    }
    default:
        return waitpid(child, NULL, WNOHANG) == 0;
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    if (!not_yet())
        not_yet_missed = 1;
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

int main(int argc, char **argv)
{
    call = argc > 1 ? argv[1] : "write";
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
    int release[2];
    if (pipe(release) || (child = fork()) < 0)
        return 1;
    if (child == 0) {
        /* Runs until the parent closes its end. */
        char c;
        close(release[1]);
        alarm(10);
        _exit(read(release[0], &c, 1) == 0 ? 0 : 1);
    }
    close(release[0]);
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
    close(release[1]);
    int status;
    if (waitpid(child, &status, 0) != child || status != 0)
        return 1;
    printf("%s in the handler: %s\n", call, not_yet_missed ? "an answer" : "not yet");
    printf("done\n");
    return not_yet_missed;
}
