/* Signal handlers and the waits they interrupt, with other threads alive (so that under
 * the shim every wait is a green one). Linux delivers a process-directed signal to the
 * main thread unless it blocks it, so the main thread's blocking call is the one a handler
 * interrupts (signal(7)):
 *  - nanosleep, clock_nanosleep (relative: remaining time; absolute: untouched) and sleep
 *    fail with EINTR whatever SA_RESTART says;
 *  - read on a pipe restarts under SA_RESTART and fails with EINTR without it;
 *  - recv on a socket with SO_RCVTIMEO fails with EINTR even under SA_RESTART;
 *  - a handler may leave a blocked read for good with siglongjmp (the classic alarm
 *    timeout), several times in a row;
 *  - a signal that another thread aims at main with pthread_kill interrupts main's read;
 *  - a handler that runs while main is busy interrupts no other thread's sleep;
 *  - a signal aimed at the running thread (raise, SIGPIPE) ends no wait, not even a later
 *    one of main's;
 *  - sigaction and signal report the program's own previous handler and flags.
 * The signals that interrupt main's read and recv come 300 ms after main set them up, and
 * what would end those waits otherwise (a writer, a receive timeout) comes much later, so
 * that the order holds on a loaded machine too.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr. */
#include "thread_prog.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The signal comes this long after main set it up: main is in its wait by then. */
#define SIGNAL_AFTER_MS 300
/* What would end the wait without the signal comes this long after main set it up. */
#define OTHERWISE_AFTER_MS 1000

static atomic_int handled;
static atomic_bool stop_ticker;

static void on_alarm(int sig)
{
    (void)sig;
    handled++;
}

static void install_handler(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(sig, &sa, NULL) ? errno : 0, "sigaction");
}

static void install(int flags) { install_handler(SIGALRM, on_alarm, flags); }

/* One SIGALRM after ms milliseconds. */
static void alarm_in_ms(long ms)
{
    struct itimerval it = {.it_value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000}};
    must_succeed(setitimer(ITIMER_REAL, &it, NULL) ? errno : 0, "setitimer");
}

/* Keeps a second thread alive and switching for the whole run. */
static void *ticker(void *arg)
{
    (void)arg;
    while (!stop_ticker)
        usleep(2000);
    return NULL;
}

static bool remaining_between(const struct timespec *rem, double lo, double hi)
{
    double s = (double)rem->tv_sec + rem->tv_nsec / 1e9;
    return s > lo && s < hi;
}

static void check_sleeps(void)
{
    install(SA_RESTART); /* sleeps are never restarted, SA_RESTART or not */
    struct timespec two = {.tv_sec = 2}, rem = {0};

    handled = 0;
    alarm_in_ms(200);
    int r = nanosleep(&two, &rem);
    printf("nanosleep: %d %s, handler ran %d, remaining between 1 and 2 s: %s\n", r,
           error_name(r ? errno : 0), (int)handled, yes_no(remaining_between(&rem, 1, 2)));

    handled = 0;
    alarm_in_ms(200);
    rem = (struct timespec){0};
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &two, &rem);
    printf("clock_nanosleep relative: %s, handler ran %d, remaining between 1 and 2 s: %s\n",
           error_name(r), (int)handled, yes_no(remaining_between(&rem, 1, 2)));

    handled = 0;
    alarm_in_ms(200);
    struct timespec at = deadline_in(CLOCK_REALTIME, 2000), untouched = {.tv_sec = 7};
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, &untouched);
    printf("clock_nanosleep absolute: %s, handler ran %d, remaining left untouched: %s\n",
           error_name(r), (int)handled, yes_no(untouched.tv_sec == 7 && untouched.tv_nsec == 0));

    handled = 0;
    alarm_in_ms(200);
    errno = 0;
    unsigned left = sleep(3);
    printf("sleep(3): returned %u, errno %s, handler ran %d\n", left, error_name(errno),
           (int)handled);
}

struct delayed_write {
    int fd;
    long delay_ms;
};

static void *write_later(void *arg)
{
    struct delayed_write *d = arg;
    usleep((useconds_t)d->delay_ms * 1000);
    must_succeed(write(d->fd, "x", 1) == 1 ? 0 : errno, "write");
    return NULL;
}

static void check_pipe_read(int flags, const char *label)
{
    install(flags);
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    struct delayed_write d = {.fd = p[1], .delay_ms = OTHERWISE_AFTER_MS};
    pthread_t writer = start_thread(NULL, write_later, &d);
    handled = 0;
    alarm_in_ms(SIGNAL_AFTER_MS);
    char c;
    ssize_t r = read(p[0], &c, 1);
    printf("read on a pipe, %s: %zd %s, handler ran %d\n", label, r,
           error_name(r < 0 ? errno : 0), (int)handled);
    join_or_die(writer);
    close(p[0]);
    close(p[1]);
}

static void check_socket_with_timeout(void)
{
    install(SA_RESTART);
    int s[2];
    must_succeed(socketpair(AF_UNIX, SOCK_STREAM, 0, s) ? errno : 0, "socketpair");
    struct timeval tv = {.tv_sec = 3 * OTHERWISE_AFTER_MS / 1000};
    must_succeed(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ? errno : 0,
                 "SO_RCVTIMEO");
    handled = 0;
    alarm_in_ms(SIGNAL_AFTER_MS);
    char c;
    ssize_t r = recv(s[0], &c, 1, 0);
    printf("recv with SO_RCVTIMEO, SA_RESTART: %zd %s, handler ran %d\n", r,
           error_name(r < 0 ? errno : 0), (int)handled);
    close(s[0]);
    close(s[1]);
}

static sigjmp_buf timed_out;

static void jump_out(int sig)
{
    (void)sig;
    handled++;
    siglongjmp(timed_out, 1);
}

/* The classic timeout of a blocking call: the handler never returns into the read, it jumps
 * back to the sigsetjmp (which also restores the signal mask, SIGALRM unblocked again). Done
 * three times, so that a wait the jump left behind in one round would show in the next. */
static void check_siglongjmp_out_of_read(void)
{
    install_handler(SIGALRM, jump_out, 0);
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    for (int round = 1; round <= 3; round++) {
        handled = 0;
        if (sigsetjmp(timed_out, 1) == 0) {
            alarm_in_ms(100);
            char c;
            ssize_t r = read(p[0], &c, 1); /* nobody writes: only the jump ends it */
            printf("round %d: read returned %zd %s\n", round, r, error_name(r < 0 ? errno : 0));
        } else {
            printf("round %d: the read on an empty pipe was abandoned by siglongjmp, handler "
                   "ran %d\n",
                   round, (int)handled);
        }
    }
    close(p[0]);
    close(p[1]);
}

static void *signal_main_later(void *main_thread)
{
    usleep(SIGNAL_AFTER_MS * 1000);
    must_succeed(pthread_kill(*(pthread_t *)main_thread, SIGUSR1), "pthread_kill");
    return NULL;
}

static void check_pthread_kill_main(void)
{
    install_handler(SIGUSR1, on_alarm, 0);
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    pthread_t main_thread = pthread_self();
    handled = 0;
    pthread_t killer = start_thread(NULL, signal_main_later, &main_thread);
    char c;
    ssize_t r = read(p[0], &c, 1);
    printf("read on a pipe, pthread_kill(main, SIGUSR1) from another thread, no SA_RESTART: "
           "%zd %s, handler ran %d\n",
           r, error_name(r < 0 ? errno : 0), (int)handled);
    join_or_die(killer);
    close(p[0]);
    close(p[1]);
}

static void *sleep_300ms(void *arg)
{
    (void)arg;
    struct timespec t = {.tv_nsec = 300000000}, rem;
    return (void *)(intptr_t)(nanosleep(&t, &rem) == 0 ? 0 : errno);
}

static void check_busy_main(void)
{
    install(0);
    pthread_t sleeper = start_thread(NULL, sleep_300ms, NULL);
    usleep(20000); /* the sleeper is in its nanosleep: a wrong delivery would end it */
    handled = 0;
    alarm_in_ms(50);
    while (!handled)
        ; /* main is running when the signal comes */
    int err = (int)(intptr_t)join_or_die(sleeper);
    printf("a handler that ran while main was busy interrupted the sleeping thread: %s\n",
           yes_no(err != 0));
}

static void check_raise_then_sleep(void)
{
    install(0);
    raise(SIGALRM);
    struct timespec t = {.tv_nsec = 50000000}, rem;
    int r = nanosleep(&t, &rem);
    printf("raise, then nanosleep: %d %s\n", r, error_name(r ? errno : 0));
}

struct sigpipe_then_feed {
    int feed;
};

static void *write_to_closed_pipe_then_feed(void *arg)
{
    struct sigpipe_then_feed *s = arg;
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    close(p[0]);
    usleep(20000);
    ssize_t r = write(p[1], "x", 1); /* SIGPIPE, aimed at this thread */
    close(p[1]);
    usleep(20000);
    must_succeed(write(s->feed, "y", 1) == 1 ? 0 : errno, "write");
    return (void *)(intptr_t)(r < 0 ? errno : 0);
}

static void check_sigpipe_elsewhere(void)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(SIGPIPE, &sa, NULL) ? errno : 0, "sigaction SIGPIPE");
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    struct sigpipe_then_feed s = {.feed = p[1]};
    handled = 0;
    pthread_t t = start_thread(NULL, write_to_closed_pipe_then_feed, &s);
    char c;
    ssize_t r = read(p[0], &c, 1);
    int write_error = (int)(intptr_t)join_or_die(t);
    printf("a SIGPIPE in another thread (its write: %s, handler ran %d) left main's read alone: "
           "%zd %s\n",
           error_name(write_error), (int)handled, r, error_name(r < 0 ? errno : 0));
    close(p[0]);
    close(p[1]);
}

static void on_other(int sig) { (void)sig; }

static void check_reported_actions(void)
{
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART | SA_NODEFER}, old;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    must_succeed(sigaction(SIGUSR1, &sa, NULL) ? errno : 0, "sigaction SIGUSR1");
    must_succeed(sigaction(SIGUSR1, NULL, &old) ? errno : 0, "sigaction query");
    printf("sigaction reports the handler: %s, SA_RESTART|SA_NODEFER: %s, SA_SIGINFO: %s, "
           "mask has SIGUSR2: %s\n",
           yes_no(old.sa_handler == on_alarm),
           yes_no((old.sa_flags & (SA_RESTART | SA_NODEFER)) == (SA_RESTART | SA_NODEFER)),
           yes_no(old.sa_flags & SA_SIGINFO), yes_no(sigismember(&old.sa_mask, SIGUSR2)));
    __sighandler_t prev = signal(SIGUSR1, on_other);
    printf("signal returns the previous handler: %s\n", yes_no(prev == on_alarm));
    prev = signal(SIGUSR1, SIG_DFL);
    printf("and then the one it set: %s\n", yes_no(prev == on_other));
    errno = 0;
    prev = signal(SIGKILL, on_other);
    printf("signal(SIGKILL): SIG_ERR %s, errno %s\n", yes_no(prev == SIG_ERR), error_name(errno));
}

int main(void)
{
    pthread_t tick = start_thread(NULL, ticker, NULL);
    report_os_threads("ticker-alive");
    check_sleeps();
    check_pipe_read(SA_RESTART, "SA_RESTART");
    check_pipe_read(0, "no SA_RESTART");
    check_socket_with_timeout();
    check_siglongjmp_out_of_read();
    check_pthread_kill_main();
    check_busy_main();
    check_raise_then_sleep();
    check_sigpipe_elsewhere();
    check_reported_actions();
    stop_ticker = true;
    join_or_die(tick);
    printf("done\n");
    return 0;
}
