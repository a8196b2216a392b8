/* Timeout scopes over intercepted libc calls: a program written against greenpatch.h,
 * linked with -lgreenpatch (and run under the preload too). Inside a scope, calls that would
 * wait for ever (a read nobody answers, a timed lock of a held mutex, a semaphore at 0)
 * end at the scope's deadline: ETIMEDOUT, or 0 for the multiplexing calls, the seconds
 * left for sleep; a call whose own timeout comes first keeps its natural error. A ticker
 * thread (gp_spawn) runs throughout, and every wait checks that it ticked meanwhile. Prints
 * one line per case; ends itself with alarm() if a scope fails to end a wait. */
#include "greenpatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCOPE_NS GP_MSEC(20)

static volatile int ticks;
static volatile bool stop_ticking;
static bool ticker_ok = true; /* it ticked during every wait watched */
static bool watching = true;  /* false once it has stopped */

static void *ticker(void *arg)
{
    (void)arg;
    while (!stop_ticking) {
        ticks++;
        gp_sleep(GP_MSEC(1));
    }
    return NULL;
}

/* Each case runs between these two: the ticker must have ticked while it waited. */
static int ticks_before;
static void begin(void) { ticks_before = ticks; }
static void end(void)
{
    if (watching && ticks == ticks_before)
        ticker_ok = false;
}

/* errno as the last SCOPED call left it. */
static int scoped_errno;

/* var = call, in a timeout scope of ns, while the ticker is watched. */
#define SCOPED(ns, var, call)                                                                \
    do {                                                                                      \
        begin();                                                                              \
        {                                                                                     \
            GP_TIMEOUT_SCOPE(ns);                                                             \
            var = (call);                                                                     \
        }                                                                                     \
        scoped_errno = errno;                                                                 \
        end();                                                                                \
    } while (0)

static const char *name(int error) { return error ? strerrorname_np(error) : "0"; }

static void print_result(const char *what, long r, int error)
{
    if (r < 0)
        printf("%s: %ld %s\n", what, r, name(error));
    else
        printf("%s: %ld\n", what, r);
}

/* ---- fds nobody writes ---- */

static void read_pipe(const char *what)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    char c;
    ssize_t r;
    SCOPED(SCOPE_NS, r, read(p[0], &c, 1));
    print_result(what, r, scoped_errno);
    close(p[0]);
    close(p[1]);
}

/* A receive in a scope of scope_ns on a socket whose own timeout is rcvtimeo_us (0: none). */
static void recv_socket(const char *what, int64_t scope_ns, long rcvtimeo_us)
{
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        exit(2);
    struct timeval tv = {0, rcvtimeo_us};
    setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t r;
    SCOPED(scope_ns, r, recv(s[0], &c, 1, 0));
    print_result(what, r, scoped_errno);
    close(s[0]);
    close(s[1]);
}

static struct sockaddr_un unix_address(socklen_t *len)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* An abstract name, unique to the process. */
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "gp-api-timeout-%d", (int)getpid());
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    return a;
}

static void accept_and_connect(void)
{
    socklen_t len;
    struct sockaddr_un a = unix_address(&len);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, len) < 0 || listen(l, 0) < 0)
        exit(2);
    int r;
    SCOPED(SCOPE_NS, r, accept(l, NULL, NULL));
    print_result("accept with nobody connecting", r, scoped_errno);

    /* Fill the backlog with connections nobody accepts (bounded: a unix listener takes
     * backlog + 1); then a blocking connect would wait for room. */
    int fill[8], filled = 0;
    while (filled < 8) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c < 0)
            exit(2);
        if (connect(c, (struct sockaddr *)&a, len) < 0) {
            close(c);
            break;
        }
        fill[filled++] = c;
    }
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SCOPED(SCOPE_NS, r, connect(c, (struct sockaddr *)&a, len));
    print_result("connect to a full backlog", r, scoped_errno);
    close(c);
    for (int i = 0; i < filled; i++)
        close(fill[i]);
    close(l);
}

/* Makes the pipe through which main releases the thread fn, then starts fn. */
static pthread_t start_released_by(int release[2], void *(*fn)(void *))
{
    pthread_t t;
    if (pipe(release) < 0 || pthread_create(&t, NULL, fn, NULL))
        exit(2);
    return t;
}

/* ---- locks ---- */

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t held_rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile bool holding;
static int release_pipe[2];

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_rwlock_wrlock(&held_rw);
    holding = true;
    char c;
    if (read(release_pipe[0], &c, 1) != 1) /* until main says */
        exit(3);
    pthread_rwlock_unlock(&held_rw);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void mutex_and_cond(void)
{
    pthread_t t = start_released_by(release_pipe, holder);
    for (int i = 0; i < 1000 && !holding; i++)
        usleep(1000);
    int r;
    struct timespec later; /* a minute from now: the scope comes first */
    clock_gettime(CLOCK_REALTIME, &later);
    later.tv_sec += 60;
    SCOPED(SCOPE_NS, r, pthread_mutex_timedlock(&held, &later));
    printf("pthread_mutex_timedlock of a held mutex: %s\n", name(r));
    SCOPED(SCOPE_NS, r, pthread_rwlock_timedrdlock(&held_rw, &later));
    printf("pthread_rwlock_timedrdlock of a write-held lock: %s\n", name(r));
    /* Locks without a timeout are never cut short (their callers seldom look at the
     * result): in a scope that has passed, they wait for the holder, released here. */
    if (write(release_pipe[1], "x", 1) != 1)
        exit(2);
    gp_timeout_push(0);
    r = pthread_mutex_lock(&held);
    int rw = pthread_rwlock_rdlock(&held_rw);
    gp_timeout_pop();
    printf("pthread_mutex_lock and rwlock_rdlock in a passed scope: %s %s\n", name(r), name(rw));
    if (r || rw || pthread_rwlock_unlock(&held_rw) || pthread_mutex_unlock(&held) ||
        pthread_join(t, NULL))
        exit(2);

    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t m;
    pthread_mutex_init(&m, &attr);
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    SCOPED(SCOPE_NS, r, pthread_cond_wait(&cond, &m));
    /* An error-checking mutex unlocks only for its owner. */
    printf("pthread_cond_wait: %s, mutex held: %s\n", name(r),
           pthread_mutex_unlock(&m) == 0 ? "yes" : "no");

    sem_t sem;
    sem_init(&sem, 0, 0);
    SCOPED(SCOPE_NS, r, sem_timedwait(&sem, &later));
    print_result("sem_timedwait", r, scoped_errno);
}

/* ---- multiplexing and sleeps ---- */

static void mux_and_sleeps(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int r;
    SCOPED(SCOPE_NS, r, poll(&pfd, 1, -1));
    printf("poll: %d\n", r);

    fd_set set;
    FD_ZERO(&set);
    FD_SET(p[0], &set);
    SCOPED(SCOPE_NS, r, select(p[0] + 1, &set, NULL, NULL, NULL));
    printf("select: %d\n", r);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, got;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0)
        exit(2);
    SCOPED(SCOPE_NS, r, epoll_wait(ep, &got, 1, -1));
    printf("epoll_wait: %d\n", r);
    close(ep);
    close(p[0]);
    close(p[1]);

    struct timespec ten = {10, 0};
    SCOPED(SCOPE_NS, r, nanosleep(&ten, NULL));
    print_result("nanosleep", r, scoped_errno);

    SCOPED(SCOPE_NS, r, usleep(5000000));
    print_result("usleep", r, scoped_errno);

    unsigned left;
    SCOPED(SCOPE_NS, left, sleep(10));
    printf("sleep: seconds left: %s\n", left > 0 && left <= 10 ? "yes" : "no");
}

/* ---- join ---- */

static int join_pipe[2];

static void *reader(void *arg)
{
    (void)arg;
    char c;
    return (void *)(intptr_t)read(join_pipe[0], &c, 1);
}

static void join(void)
{
    pthread_t t = start_released_by(join_pipe, reader);
    int r;
    SCOPED(SCOPE_NS, r, pthread_join(t, NULL));
    printf("pthread_join: %s\n", name(r));
    void *got;
    if (write(join_pipe[1], "x", 1) != 1 || pthread_join(t, &got) || (intptr_t)got != 1)
        exit(2);
    close(join_pipe[0]);
    close(join_pipe[1]);
}

/* ---- a call's own timeout, an expired scope, nesting ---- */

static void own_timeout_and_nesting(void)
{
    recv_socket("own SO_RCVTIMEO first", GP_SEC(5), 10000); /* 10 ms, before the scope's 5 s */

    /* Every wait in an expired scope fails at once: a loop of them ends. */
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    char c;
    bool all = true;
    if (gp_timeout_push(GP_MSEC(1)))
        exit(2);
    gp_sleep(GP_MSEC(2)); /* ETIMEDOUT: the scope is over */
    for (int i = 0; i < 100; i++)
        if (read(p[0], &c, 1) != -1 || errno != ETIMEDOUT)
            all = false;
    if (gp_timeout_pop() != ETIMEDOUT)
        all = false;
    printf("expired scope, 100 reads: %s\n", all ? "all -1 ETIMEDOUT" : "not all");
    close(p[0]);
    close(p[1]);

    gp_timeout_push(GP_SEC(10));
    gp_timeout_push(GP_MSEC(5));
    gp_sleep(GP_SEC(10));
    int inner = gp_timeout_pop();
    int outer = gp_timeout_pop();
    printf("nested: inner %s, outer %s\n", name(inner), name(outer));
}

/* ---- stdio, FIFOs, children, signals ---- */

static void more_calls(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    FILE *in = fdopen(p[0], "r");
    char line[16];
    char *got;
    SCOPED(SCOPE_NS, got, fgets(line, sizeof line, in));
    printf("fgets: %s %s, ferror: %s\n", got ? "a line" : "NULL", name(scoped_errno),
           ferror(in) ? "yes" : "no");
    fclose(in);
    close(p[1]);

    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/gp-api-timeout-%d.fifo", (int)getpid());
    if (mkfifo(fifo, 0600) < 0)
        exit(2);
    int r;
    SCOPED(SCOPE_NS, r, open(fifo, O_RDONLY));
    unlink(fifo);
    print_result("open of a FIFO nobody writes", r, scoped_errno);

    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    SCOPED(SCOPE_NS, r, waitpid(child, NULL, 0));
    print_result("waitpid of a child that waits", r, scoped_errno);
    int status;
    kill(child, SIGKILL);
    if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status))
        exit(2);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    SCOPED(SCOPE_NS, r, sigwaitinfo(&usr1, NULL));
    print_result("sigwaitinfo", r, scoped_errno);
    struct timespec short_wait = {0, 5000000};
    SCOPED(GP_SEC(5), r, sigtimedwait(&usr1, NULL, &short_wait));
    print_result("own sigtimedwait timeout first", r, scoped_errno);
}

/* In a scope that has passed, sleep returns at once, and still gives the others a turn: a
 * loop of sleeps waiting for another thread's work freezes no one. */
static void sleep_loop(void)
{
    int before = ticks;
    gp_timeout_push(0);
    for (int rounds = 0; ticks == before && rounds < 1000000; rounds++)
        sleep(5);
    gp_timeout_pop();
    printf("sleep in a loop in a passed scope lets the others run: %s\n",
           ticks != before ? "yes" : "no");
}

/* ---- exit paths ---- */

static pthread_key_t exit_key;
static int cleanup_sleep = -1, destructor_sleep = -1;

/* What a wait of an exiting thread gives: the scope it left open is gone, so it waits as
 * long as it takes. */
static int sleep_a_millisecond(void)
{
    struct timespec ms = {.tv_nsec = 1000000};
    return nanosleep(&ms, NULL) == 0 ? 0 : errno;
}

static void sleep_in_cleanup(void *arg)
{
    (void)arg;
    cleanup_sleep = sleep_a_millisecond();
}

static void sleep_in_destructor(void *value)
{
    (void)value;
    destructor_sleep = sleep_a_millisecond();
}

static void *exit_in_a_passed_scope(void *arg)
{
    pthread_setspecific(exit_key, &exit_key);
    pthread_cleanup_push(sleep_in_cleanup, NULL);
    gp_timeout_push(0);
    pthread_exit(arg);
    pthread_cleanup_pop(0);
}

static void exit_paths(void)
{
    pthread_t t;
    if (pthread_key_create(&exit_key, sleep_in_destructor) ||
        pthread_create(&t, NULL, exit_in_a_passed_scope, NULL) || pthread_join(t, NULL))
        exit(2);
    printf("nanosleep in a cleanup handler and a key destructor of a thread that exited in a "
           "passed scope: %s %s\n", name(cleanup_sleep), name(destructor_sleep));
}

int main(void)
{
    alarm(20);
    setvbuf(stdout, NULL, _IOLBF, 0);
    gp_thread_t t;
    if (gp_spawn(&t, ticker, NULL))
        return 2;
    gp_yield();
    read_pipe("read on a pipe nobody writes");
    recv_socket("recv on a socket nobody writes", SCOPE_NS, 0);
    accept_and_connect();
    mutex_and_cond();
    mux_and_sleeps();
    join();
    own_timeout_and_nesting();
    more_calls();
    sleep_loop();
    exit_paths();
    stop_ticking = true;
    if (gp_join(t, NULL))
        return 2;
    /* The only green thread left waits through the hub too while a scope is open. */
    watching = false;
    read_pipe("a lone thread's read");
    printf("the ticker ran during every wait: %s\n", ticker_ok ? "yes" : "no");
    return 0;
}
