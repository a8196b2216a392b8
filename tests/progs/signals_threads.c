/* Signals aimed at green threads other than main, which the shim delivers itself
 * (pthread_kill to the shared OS thread, the handler then run by the target):
 *  - two different signals for one thread blocked in read: both handlers run on that
 *    thread, and its read fails with EINTR;
 *  - one signal for each of two blocked threads: both reads fail with EINTR;
 *  - a pthread_kill of a signal the kernel discards (SIGCHLD at its default) to a thread
 *    that is then joined leaves nothing behind: a later process-directed SIGCHLD (a child
 *    exiting) still interrupts main's sleep, and no freed thread is touched (valgrind). */
#include "thread_prog.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int handled, handled_on_target;
static pthread_t expected_thread;

static void count(int sig)
{
    (void)sig;
    handled++;
    if (pthread_equal(pthread_self(), expected_thread))
        handled_on_target++;
}

static void install(int sig)
{
    struct sigaction sa = {.sa_handler = count};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(sig, &sa, NULL) ? errno : 0, "sigaction");
}

/* Reads one byte; then stays alive a while, so that a second signal sent right after the
 * first still finds the thread (natively it may land after the read has returned). */
static void *read_one(void *arg)
{
    int fd = *(int *)arg;
    char c;
    ssize_t r = read(fd, &c, 1);
    int err = r < 0 ? errno : 0;
    usleep(200000);
    return (void *)(intptr_t)err;
}

static void two_signals_for_one_thread(void)
{
    install(SIGUSR1);
    install(SIGUSR2);
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    handled = handled_on_target = 0;
    pthread_t t = start_thread(NULL, read_one, &p[0]);
    expected_thread = t;
    usleep(100000); /* t is blocked in read */
    must_succeed(pthread_kill(t, SIGUSR1), "pthread_kill");
    must_succeed(pthread_kill(t, SIGUSR2), "pthread_kill");
    int err = (int)(intptr_t)join_or_die(t);
    printf("two signals for one waiting thread: its read %s, handlers run on it: %d of %d\n",
           error_name(err), (int)handled_on_target, (int)handled);
    close(p[0]);
    close(p[1]);
}

static void one_signal_each_for_two_threads(void)
{
    install(SIGUSR1);
    int p[2], q[2];
    must_succeed(pipe(p) || pipe(q) ? errno : 0, "pipe");
    pthread_t a = start_thread(NULL, read_one, &p[0]);
    pthread_t b = start_thread(NULL, read_one, &q[0]);
    usleep(100000);
    must_succeed(pthread_kill(a, SIGUSR1), "pthread_kill");
    must_succeed(pthread_kill(b, SIGUSR1), "pthread_kill");
    usleep(100000);
    must_succeed(write(p[1], "x", 1) == 1 && write(q[1], "x", 1) == 1 ? 0 : errno, "write");
    int ea = (int)(intptr_t)join_or_die(a), eb = (int)(intptr_t)join_or_die(b);
    printf("one signal each for two waiting threads: reads %s and %s\n", error_name(ea),
           error_name(eb));
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static atomic_bool stop_ticking;

static void *tick(void *arg)
{
    (void)arg;
    while (!stop_ticking)
        usleep(2000);
    return NULL;
}

static void discarded_signal_leaves_nothing_behind(void)
{
    pthread_t doomed = start_thread(NULL, tick, NULL);
    must_succeed(pthread_kill(doomed, SIGCHLD), "pthread_kill"); /* default: discarded */
    stop_ticking = true;
    join_or_die(doomed);
    stop_ticking = false;
    pthread_t ticker = start_thread(NULL, tick, NULL);
    install(SIGCHLD);
    handled = 0;
    fflush(stdout); /* the child must not print what the parent buffered */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(200000);
        _exit(0);
    }
    errno = 0;
    unsigned left = sleep(2);
    printf("a child's SIGCHLD after a discarded pthread_kill: sleep left %u, errno %s, "
           "handler ran %d\n",
           left, error_name(errno), (int)handled);
    stop_ticking = true;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    join_or_die(ticker);
}

int main(void)
{
    two_signals_for_one_thread();
    one_signal_each_for_two_threads();
    discarded_signal_leaves_nothing_behind();
    return 0;
}
