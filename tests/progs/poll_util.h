/* Shared by the poll_* helper programs (tests/progs/poll_*.c): plain libc, as any program
 * would write it. Output conventions are those of thread_prog.h and coop.h: stdout carries
 * deterministic lines only, a broken run exits with status 1. */
#ifndef POLL_UTIL_H
#define POLL_UTIL_H

#include "coop.h"
#include "io_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every program ends itself if it hangs: natively and under the shim alike. */
enum { POLL_SAFETY_ALARM_S = 10 };

static inline void safety_alarm(void) { alarm(POLL_SAFETY_ALARM_S); }

/* "POLLIN|POLLHUP", or "0". The buffer is the caller's. */
static inline const char *revents_name(char *buf, size_t size, int revents)
{
    static const struct { int bit; const char *name; } names[] = {
        {POLLIN, "POLLIN"},   {POLLPRI, "POLLPRI"},   {POLLOUT, "POLLOUT"},
        {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"},   {POLLNVAL, "POLLNVAL"},
        {POLLRDNORM, "POLLRDNORM"}, {POLLWRNORM, "POLLWRNORM"},
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(revents & names[i].bit))
            continue;
        if (buf[0])
            strncat(buf, "|", size - strlen(buf) - 1);
        strncat(buf, names[i].name, size - strlen(buf) - 1);
    }
    if (!buf[0])
        snprintf(buf, size, "0");
    return buf;
}

static inline void make_pipe(int p[2])
{
    must_succeed(pipe(p) ? errno : 0, "pipe");
}

static inline void close_pipe(int p[2])
{
    close(p[0]);
    close(p[1]);
}

/* A ticker's wake: one byte into the fd that arg points at. */
static inline void write_one_byte(void *arg)
{
    must_succeed(write(*(int *)arg, "x", 1) == 1 ? 0 : errno, "write");
}

/* A thread that does nothing but wait for bystander_stop(): while it lives the program
 * has more than one thread, as a program whose other threads are busy elsewhere. */
struct bystander {
    pthread_t thread;
    int pipe[2];
};

static void *bystander_main(void *arg)
{
    struct bystander *b = arg;
    char c;
    must_succeed(read(b->pipe[0], &c, 1) == 1 ? 0 : errno, "bystander read");
    return NULL;
}

static inline void bystander_start(struct bystander *b)
{
    make_pipe(b->pipe);
    b->thread = start_thread(NULL, bystander_main, b);
}

static inline void bystander_stop(struct bystander *b)
{
    write_one_byte(&b->pipe[1]);
    join_or_die(b->thread);
    close_pipe(b->pipe);
}

/* Two ends of one loopback TCP connection with small socket buffers (so that a few
 * hundred KiB fill them): fds[0] the client, fds[1] the accepted side. */
static inline void small_tcp_pair(int fds[2])
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0), small = 16384;
    must_succeed(lfd < 0 ? errno : 0, "socket");
    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    must_succeed(bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 1) ||
                         getsockname(lfd, (struct sockaddr *)&a, &len)
                     ? errno
                     : 0,
                 "listen");
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    must_succeed(connect(fds[0], (struct sockaddr *)&a, sizeof a) ? errno : 0, "connect");
    fds[1] = accept(lfd, NULL, NULL);
    must_succeed(fds[1] < 0 ? errno : 0, "accept");
    close(lfd);
}

/* A reader that takes exactly `want` bytes from fd and checks them against the pattern. */
struct drain {
    int fd;
    size_t want;
    size_t got;
    bool in_order;
};

static inline void drain_all(void *arg)
{
    struct drain *d = arg;
    unsigned char buf[8192];
    d->in_order = true;
    while (d->got < d->want) {
        size_t room = d->want - d->got < sizeof buf ? d->want - d->got : sizeof buf;
        ssize_t n = read(d->fd, buf, room);
        if (n <= 0)
            break;
        d->in_order &= io_check_pattern(buf, (size_t)n, d->got);
        d->got += (size_t)n;
    }
}

/* Writes pattern bytes into fd until it takes no more (with O_NONBLOCK for the filling
 * only); returns how many went in. */
static inline size_t fill_until_full(int fd)
{
    unsigned char chunk[4096];
    size_t total = 0;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (ssize_t n = 1; n > 0; total += n > 0 ? (size_t)n : 0) {
        io_fill_pattern(chunk, sizeof chunk, total);
        n = write(fd, chunk, sizeof chunk);
    }
    fcntl(fd, F_SETFL, 0);
    return total;
}

/* What a call made while the ticker ran returned, and how many ticks it had counted. */
struct coop_call {
    long r;
    int err;
    int ticks;
};

/* Makes `call` while a ticker named where (coop.h) ticks and then runs wake(arg); stores
 * its result, errno and the ticks counted by the time it returned in *res. */
#define COOP_CALL(res, where, wake, arg, call)                                               \
    do {                                                                                      \
        struct coop_ticker t_;                                                                \
        coop_start(&t_, (where), (wake), (arg));                                              \
        errno = 0;                                                                            \
        (res)->r = (long)(call);                                                              \
        (res)->err = errno;                                                                   \
        (res)->ticks = coop_ticks(&t_);                                                       \
        coop_finish(&t_);                                                                     \
    } while (0)

/* "3" or "-1 EINTR": what a coop_call returned. The buffer is the caller's. */
static inline const char *call_result(char *buf, size_t size, const struct coop_call *c)
{
    return io_result(buf, size, c->r, c->err);
}

/* SIGUSR1 for the main thread, from the ticker, counted by its handler. */
static volatile sig_atomic_t usr1_handled;
static pthread_t usr1_target;

static void count_usr1(int sig)
{
    (void)sig;
    usr1_handled++;
}

static inline void send_usr1(void *arg)
{
    (void)arg;
    must_succeed(pthread_kill(usr1_target, SIGUSR1), "pthread_kill");
}

/* The calling thread takes SIGUSR1; flags: SA_RESTART or 0. */
static inline void catch_usr1(int flags)
{
    usr1_target = pthread_self();
    struct sigaction sa = {.sa_handler = count_usr1, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(SIGUSR1, &sa, NULL) ? errno : 0, "sigaction");
}

/* The calls that wait for an fd to become readable, all driven the same way. */
enum wait_call {
    CALL_POLL, CALL_PPOLL, CALL_SELECT, CALL_PSELECT, CALL_EPOLL_WAIT, CALL_EPOLL_PWAIT,
    CALL_EPOLL_PWAIT2, WAIT_CALLS
};

static const char *const wait_call_names[WAIT_CALLS] = {
    "poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait", "epoll_pwait2",
};

static inline bool call_takes_mask(enum wait_call c)
{
    return c == CALL_PPOLL || c == CALL_PSELECT || c == CALL_EPOLL_PWAIT || c == CALL_EPOLL_PWAIT2;
}

/* What one wait returned: its result and what it said about the fd. */
struct wait_outcome {
    int r;
    int err;
    char detail[160];
};

static inline struct timespec ms_timespec(int ms)
{
    return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
}

/* The time a select left in its timeval, against what it was given. */
static inline const char *timeval_left(const struct timeval *tv, int given_ms)
{
    long long left_us = (long long)tv->tv_sec * 1000000 + tv->tv_usec;
    if (left_us == 0)
        return "0";
    return left_us < (long long)given_ms * 1000 ? "less than given" : "not less than given";
}

/* Waits with call until fd is readable, for timeout_ms (-1: no timeout), with mask for the
 * calls that take one (NULL: none). */
static inline void wait_readable(enum wait_call c, int fd, int timeout_ms, const sigset_t *mask,
                                 struct wait_outcome *o)
{
    struct timespec ts = ms_timespec(timeout_ms), ts_given = ts;
    const struct timespec *tsp = timeout_ms < 0 ? NULL : &ts;
    char buf[64], buf2[64];
    o->detail[0] = '\0';
    errno = 0;
    switch (c) {
    case CALL_POLL:
    case CALL_PPOLL: {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        o->r = c == CALL_POLL ? poll(p, 2, timeout_ms) : ppoll(p, 2, tsp, mask);
        o->err = errno;
        snprintf(o->detail, sizeof o->detail, "revents %s, of the ignored fd -1: %s",
                 revents_name(buf, sizeof buf, p[0].revents),
                 revents_name(buf2, sizeof buf2, p[1].revents));
        break;
    }
    case CALL_SELECT:
    case CALL_PSELECT: {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(fd, &r);
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        if (c == CALL_SELECT)
            o->r = select(fd + 1, &r, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
        else
            o->r = pselect(fd + 1, &r, NULL, NULL, tsp, mask);
        o->err = errno;
        int n = snprintf(o->detail, sizeof o->detail, "fd in the read set: %s",
                         yes_no(FD_ISSET(fd, &r)));
        if (timeout_ms >= 0 && c == CALL_SELECT)
            snprintf(o->detail + n, sizeof o->detail - n, ", timeval left: %s",
                     timeval_left(&tv, timeout_ms));
        if (timeout_ms >= 0 && c == CALL_PSELECT)
            snprintf(o->detail + n, sizeof o->detail - n, ", timespec unchanged: %s",
                     yes_no(ts.tv_sec == ts_given.tv_sec && ts.tv_nsec == ts_given.tv_nsec));
        break;
    }
    default: {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        must_succeed(ep < 0 ? errno : 0, "epoll_create1");
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[4] = {{0}};
        must_succeed(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? errno : 0, "epoll_ctl");
        if (c == CALL_EPOLL_WAIT)
            o->r = epoll_wait(ep, out, 4, timeout_ms);
        else if (c == CALL_EPOLL_PWAIT)
            o->r = epoll_pwait(ep, out, 4, timeout_ms, mask);
        else
            o->r = epoll_pwait2(ep, out, 4, tsp, mask);
        o->err = errno;
        if (o->r > 0)
            snprintf(o->detail, sizeof o->detail, "event %s, data %llu",
                     out[0].events == EPOLLIN ? "EPOLLIN" : "other",
                     (unsigned long long)out[0].data.u64);
        else
            snprintf(o->detail, sizeof o->detail, "no event");
        close(ep);
        break;
    }
    }
}

#endif
