/* Timeout scopes over intercepted libc calls: a program written against greenpatch.h,
 * linked with -lgreenpatch (and run under the preload too). Inside a scope, calls that would
 * wait for ever (a read nobody answers, a held mutex, a semaphore at 0) end at the scope's
 * deadline: ETIMEDOUT, or 0 for the multiplexing calls, the seconds left for sleep; a call
 * whose own timeout comes first keeps its natural error. A ticker thread (gp_spawn) runs
 * throughout, and every wait checks that it ticked meanwhile. Prints one line per case;
 * ends itself with alarm() if a scope fails to end a wait. */
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
static bool ticker_ok = true;

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
    if (ticks == ticks_before)
        ticker_ok = false;
}

static const char *name(int error) { return error ? strerrorname_np(error) : "0"; }

static void print_result(const char *what, long r, int error)
{
    if (r < 0)
        printf("%s: %ld %s\n", what, r, name(error));
    else
        printf("%s: %ld\n", what, r);
}

/* ---- fds nobody writes ---- */

static void read_pipe(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    char c;
    begin();
    ssize_t r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = read(p[0], &c, 1);
    }
    int e = errno;
    end();
    print_result("read on a pipe nobody writes", r, e);
    close(p[0]);
    close(p[1]);
}

static void recv_socket(void)
{
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        exit(2);
    char c;
    begin();
    ssize_t r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = recv(s[0], &c, 1, 0);
    }
    int e = errno;
    end();
    print_result("recv on a socket nobody writes", r, e);
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
    begin();
    int r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = accept(l, NULL, NULL);
    }
    int e = errno;
    end();
    print_result("accept with nobody connecting", r, e);

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
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = connect(c, (struct sockaddr *)&a, len);
    }
    e = errno;
    end();
    print_result("connect to a full backlog", r, e);
    close(c);
    for (int i = 0; i < filled; i++)
        close(fill[i]);
    close(l);
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
    if (pipe(release_pipe) < 0)
        exit(2);
    pthread_t t;
    if (pthread_create(&t, NULL, holder, NULL))
        exit(2);
    for (int i = 0; i < 1000 && !holding; i++)
        usleep(1000);
    begin();
    int r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = pthread_mutex_lock(&held);
    }
    end();
    printf("pthread_mutex_lock of a held mutex: %s\n", name(r));
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = pthread_rwlock_rdlock(&held_rw);
    }
    end();
    printf("pthread_rwlock_rdlock of a write-held lock: %s\n", name(r));
    if (write(release_pipe[1], "x", 1) != 1 || pthread_join(t, NULL))
        exit(2);

    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t m;
    pthread_mutex_init(&m, &attr);
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = pthread_cond_wait(&cond, &m);
    }
    end();
    /* An error-checking mutex unlocks only for its owner. */
    printf("pthread_cond_wait: %s, mutex held: %s\n", name(r),
           pthread_mutex_unlock(&m) == 0 ? "yes" : "no");

    sem_t sem;
    sem_init(&sem, 0, 0);
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = sem_wait(&sem);
    }
    int e = errno;
    end();
    print_result("sem_wait", r, e);
}

/* ---- multiplexing and sleeps ---- */

static void mux_and_sleeps(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    begin();
    int r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = poll(&pfd, 1, -1);
    }
    end();
    printf("poll: %d\n", r);

    fd_set set;
    FD_ZERO(&set);
    FD_SET(p[0], &set);
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = select(p[0] + 1, &set, NULL, NULL, NULL);
    }
    end();
    printf("select: %d\n", r);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, got;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0)
        exit(2);
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = epoll_wait(ep, &got, 1, -1);
    }
    end();
    printf("epoll_wait: %d\n", r);
    close(ep);
    close(p[0]);
    close(p[1]);

    struct timespec ten = {10, 0};
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = nanosleep(&ten, NULL);
    }
    int e = errno;
    end();
    print_result("nanosleep", r, e);

    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = usleep(5000000);
    }
    e = errno;
    end();
    print_result("usleep", r, e);

    begin();
    unsigned left;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        left = sleep(10);
    }
    end();
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
    if (pipe(join_pipe) < 0)
        exit(2);
    pthread_t t;
    if (pthread_create(&t, NULL, reader, NULL))
        exit(2);
    begin();
    int r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = pthread_join(t, NULL);
    }
    end();
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
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        exit(2);
    struct timeval tv = {0, 10000}; /* 10 ms, before the scope's 5 s */
    setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    begin();
    ssize_t r;
    {
        GP_TIMEOUT_SCOPE(GP_SEC(5));
        r = recv(s[0], &c, 1, 0);
    }
    int e = errno;
    end();
    print_result("own SO_RCVTIMEO first", r, e);

    /* Every wait in an expired scope fails at once: a loop of them ends. */
    bool all = true;
    if (gp_timeout_push(GP_MSEC(1)))
        exit(2);
    gp_sleep(GP_MSEC(2)); /* ETIMEDOUT: the scope is over */
    for (int i = 0; i < 100; i++)
        if (read(s[1], &c, 1) != -1 || errno != ETIMEDOUT)
            all = false;
    if (gp_timeout_pop() != ETIMEDOUT)
        all = false;
    printf("expired scope, 100 reads: %s\n", all ? "all -1 ETIMEDOUT" : "not all");
    close(s[0]);
    close(s[1]);

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
    begin();
    char *got;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        got = fgets(line, sizeof line, in);
    }
    int e = errno;
    end();
    printf("fgets: %s %s, ferror: %s\n", got ? "a line" : "NULL", name(e),
           ferror(in) ? "yes" : "no");
    fclose(in);
    close(p[1]);

    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/gp-api-timeout-%d.fifo", (int)getpid());
    if (mkfifo(fifo, 0600) < 0)
        exit(2);
    begin();
    int r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = open(fifo, O_RDONLY);
    }
    e = errno;
    end();
    unlink(fifo);
    print_result("open of a FIFO nobody writes", r, e);

    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = waitpid(child, NULL, 0);
    }
    e = errno;
    end();
    print_result("waitpid of a child that waits", r, e);
    int status;
    kill(child, SIGKILL);
    if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status))
        exit(2);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    begin();
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = sigwaitinfo(&usr1, NULL);
    }
    e = errno;
    end();
    print_result("sigwaitinfo", r, e);
    struct timespec short_wait = {0, 5000000};
    begin();
    {
        GP_TIMEOUT_SCOPE(GP_SEC(5));
        r = sigtimedwait(&usr1, NULL, &short_wait);
    }
    e = errno;
    end();
    print_result("own sigtimedwait timeout first", r, e);
}

/* The only green thread left waits through the hub too while a scope is open. */
static void lone_thread(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    char c;
    ssize_t r;
    {
        GP_TIMEOUT_SCOPE(SCOPE_NS);
        r = read(p[0], &c, 1);
    }
    print_result("a lone thread's read", r, errno);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    alarm(20);
    setvbuf(stdout, NULL, _IOLBF, 0);
    gp_thread_t t;
    if (gp_spawn(&t, ticker, NULL))
        return 2;
    gp_yield();
    read_pipe();
    recv_socket();
    accept_and_connect();
    mutex_and_cond();
    mux_and_sleeps();
    join();
    own_timeout_and_nesting();
    more_calls();
    stop_ticking = true;
    if (gp_join(t, NULL))
        return 2;
    lone_thread();
    printf("the ticker ran during every wait: %s\n", ticker_ok ? "yes" : "no");
    return 0;
}
