/* fork from a threaded program: the child has exactly the thread that called fork, and can
 * wait, sleep and start threads of its own, while the parent's threads never run in it.
 *  1. main forks while one thread sleeps in a loop and one is blocked reading a pipe: the
 *     child times out in a condition wait and joins a thread of its own; the parent then
 *     waits for it with waitpid.
 *  2. a thread other than main forks while two other threads of the parent keep exchanging
 *     bytes through pipes. In the child, the forking thread waits on a condition variable
 *     that a timer_create(SIGEV_THREAD) callback signals (from a thread glibc starts), and
 *     exchanges a byte through pipes with a thread of its own: I/O waits in the child and in
 *     the parent at the same time, each on its own side. The parent's forking thread is not
 *     in waitpid meanwhile: it learns that the child finished from EOF on a pipe whose write
 *     end only the child held, and only then reaps it.
 *  3. main waits in pthread_join for a worker, and that worker forks. In the child, once the
 *     worker starts a thread, joins it and calls exit(5); once it starts a helper that does
 *     so and returns from its start routine while the helper runs. Main must not resume in
 *     the child when the thread it joins ends there: only the parent's main goes on.
 * Every child prints its lines before its parent reports how it ended, and stdout is flushed
 * before each fork, so the output is deterministic. */
#include "thread_prog.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_status_of(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        must_succeed(errno == EINTR ? 0 : errno, "waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t fork_flushed(void)
{
    fflush(stdout); /* or the child would print the parent's buffered lines again */
    pid_t pid = fork();
    must_succeed(pid < 0 ? errno : 0, "fork");
    return pid;
}

static void make_pipe(int fds[2]) { must_succeed(pipe(fds) ? errno : 0, "pipe"); }

/* ---- 1. main forks ---- */

static int wake_pipe[2];
static atomic_int ticks;

static void *tick(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        usleep(20000);
        ticks++;
    }
    return NULL;
}

static void *read_one(void *arg)
{
    (void)arg;
    char c;
    return (void *)(intptr_t)read(wake_pipe[0], &c, 1);
}

static void *return_seven(void *arg)
{
    (void)arg;
    usleep(30000);
    return (void *)7;
}

static void child_of_main(void)
{
    int ticks_at_fork = ticks;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    struct timespec at = deadline_in(CLOCK_REALTIME, 100);
    int r = pthread_cond_timedwait(&c, &m, &at);
    pthread_mutex_unlock(&m);
    printf("child: cond timedwait: %s\n", error_name(r));
    pthread_t t = start_thread(NULL, return_seven, NULL);
    printf("child: a thread of its own returned %ld\n", (long)(intptr_t)join_or_die(t));
    usleep(150000);
    printf("child: the parent's threads did not run here: %s\n", yes_no(ticks == ticks_at_fork));
    exit(0);
}

static void fork_from_main(void)
{
    make_pipe(wake_pipe);
    pthread_t ticker = start_thread(NULL, tick, NULL);
    pthread_t reader = start_thread(NULL, read_one, NULL);
    usleep(10000); /* the reader is waiting on the pipe, the ticker between ticks */
    pid_t pid = fork_flushed();
    if (pid == 0)
        child_of_main();
    printf("parent: the child exited with %d\n", exit_status_of(pid));
    must_succeed(write(wake_pipe[1], "x", 1) == 1 ? 0 : errno, "write");
    printf("parent: its reader read %ld byte\n", (long)(intptr_t)join_or_die(reader));
    join_or_die(ticker);
    printf("parent: its ticker ticked %d times\n", (int)ticks);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
}

/* ---- 2. a thread other than main forks ---- */

/* A thread that answers each byte on request with the next byte value on reply, until EOF. */
struct echo {
    int request[2];
    int reply[2];
    pthread_t thread;
};

static void *echo_bytes(void *arg)
{
    struct echo *e = arg;
    char c;
    ssize_t n;
    while ((n = read(e->request[0], &c, 1)) == 1) {
        c++;
        must_succeed(write(e->reply[1], &c, 1) == 1 ? 0 : errno, "echo write");
    }
    must_succeed(n < 0 ? errno : 0, "echo read");
    return NULL;
}

static void start_echo(struct echo *e)
{
    make_pipe(e->request);
    make_pipe(e->reply);
    e->thread = start_thread(NULL, echo_bytes, e);
}

/* Sends c to the echo thread and returns its answer. */
static char exchange(struct echo *e, char c)
{
    must_succeed(write(e->request[1], &c, 1) == 1 ? 0 : errno, "write");
    must_succeed(read(e->reply[0], &c, 1) == 1 ? 0 : errno, "read");
    return c;
}

static void stop_echo(struct echo *e)
{
    close(e->request[1]); /* the echo thread's EOF */
    join_or_die(e->thread);
    close(e->request[0]);
    close(e->reply[0]);
    close(e->reply[1]);
}

/* The parent's threads that keep doing I/O while the child lives: an echo thread, and one
 * that exchanges a byte with it every few milliseconds until told to stop. */
struct busy_parent {
    struct echo echo;
    atomic_int rounds;
    atomic_bool stop;
};

static void *exchange_until_stopped(void *arg)
{
    struct busy_parent *p = arg;
    while (!p->stop) {
        must_succeed(exchange(&p->echo, 'p') == 'q' ? 0 : EPROTO, "parent's exchange");
        p->rounds++;
        usleep(5000);
    }
    return NULL;
}

static void child_of_a_thread(struct busy_parent *parent)
{
    int rounds_at_fork = parent->rounds;
    struct echo own;
    start_echo(&own); /* it waits on its empty pipe during the timer wait */
    bool signalled;
    int r = wait_for_a_timer_thread(&signalled);
    printf("child of a thread: woken by the timer thread's condition signal: %s (%s)\n",
           yes_no(signalled), error_name(r));
    printf("child of a thread: a thread of its own echoed a byte through pipes: %s\n",
           yes_no(exchange(&own, 'a') == 'b'));
    stop_echo(&own);
    printf("child of a thread: the parent's threads did not run here: %s\n",
           yes_no(parent->rounds == rounds_at_fork));
    exit(0);
}

static void *fork_and_watch(void *arg)
{
    struct busy_parent *parent = arg;
    int finished[2];
    make_pipe(finished);
    int rounds_at_fork = parent->rounds;
    pid_t pid = fork_flushed();
    if (pid == 0) {
        close(finished[0]);
        child_of_a_thread(parent); /* finished[1] closes when the child exits */
    }
    close(finished[1]);
    char c;
    ssize_t eof = read(finished[0], &c, 1);
    must_succeed(eof < 0 ? errno : 0, "read of the child's pipe");
    int rounds_while_the_child_ran = parent->rounds - rounds_at_fork;
    close(finished[0]);
    printf("parent: the child forked by a thread closed its pipe (read returned %zd), then "
           "exited with %d\n",
           eof, exit_status_of(pid));
    printf("parent: its other threads kept exchanging bytes while the child ran: %s\n",
           yes_no(rounds_while_the_child_ran > 0));
    return NULL;
}

static void fork_from_a_thread(void)
{
    struct busy_parent parent = {0};
    start_echo(&parent.echo);
    pthread_t exchanger = start_thread(NULL, exchange_until_stopped, &parent);
    usleep(20000); /* the exchange is going on */
    join_or_die(start_thread(NULL, fork_and_watch, &parent));
    parent.stop = true;
    join_or_die(exchanger);
    stop_echo(&parent.echo);
}

/* ---- 3. a worker that main is joining forks ---- */

static void *return_five(void *arg)
{
    (void)arg;
    usleep(30000);
    return (void *)5;
}

/* In the child: joins a thread of its own, then ends the child with the value it returned.
 * who names the calling thread. */
static void *join_a_thread_then_exit(void *who)
{
    long value = (long)(intptr_t)join_or_die(start_thread(NULL, return_five, NULL));
    printf("child of a joined worker: %s joined a thread of its own, which returned %ld, and "
           "calls exit(%ld)\n",
           (const char *)who, value, value);
    exit((int)value);
}

enum child_end {
    WORKER_EXITS,        /* the forking worker itself joins a thread and calls exit */
    WORKER_RETURNS_FIRST /* it starts a helper that does, and returns while the helper runs */
};

static void *fork_while_joined(void *arg)
{
    enum child_end end = *(enum child_end *)arg;
    usleep(20000); /* main is in pthread_join by then */
    pid_t pid = fork_flushed();
    if (pid == 0) {
        if (end == WORKER_EXITS)
            join_a_thread_then_exit("the worker");
        start_thread(NULL, join_a_thread_then_exit, "its helper");
        return NULL; /* the thread main joins ends here, in the child: main stays gone */
    }
    return (void *)(intptr_t)exit_status_of(pid);
}

static void fork_from_a_joined_worker(enum child_end end)
{
    pid_t parent = getpid();
    pthread_t worker = start_thread(NULL, fork_while_joined, &end);
    int child_status = (int)(intptr_t)join_or_die(worker);
    if (getpid() != parent) {
        printf("FAIL: main returned from pthread_join in the child\n");
        fflush(stdout);
        _exit(1);
    }
    printf("parent: main joined the worker, whose child exited with %d\n", child_status);
}

int main(void)
{
    fork_from_main();
    fork_from_a_thread();
    fork_from_a_joined_worker(WORKER_EXITS);
    fork_from_a_joined_worker(WORKER_RETURNS_FIRST);
    return 0;
}
