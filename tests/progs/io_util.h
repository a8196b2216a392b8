/* Small helpers shared by the io_* helper programs (tests/progs/io_*.c) and libevent_user.c.
 * They stand for what any ordinary program would write for itself: checked system calls, a
 * loopback TCP pair, loops that read or write a whole buffer. Nothing here knows about the
 * shim.
 *
 * Conventions of the io_* programs: stdout carries only deterministic lines (the test
 * compares it byte for byte between a native run and a run under the shim); a failed check
 * prints "FAIL: ..." on stdout and exits with status 1; the number of OS threads goes to
 * stderr, and only when IO_REPORT_TASKS=1. */
#ifndef IO_UTIL_H
#define IO_UTIL_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Safety net for programs that could hang: natively and under the shim alike, SIGALRM ends
 * the process (status: killed by SIGALRM) instead of leaving the test to its own timeout. */
#define IO_SAFETY_ALARM_S 10

static inline void io_fail(const char *file, int line, const char *what, int err)
{
    printf("FAIL: %s:%d: %s (errno %s)\n", file, line, what,
           err ? strerrorname_np(err) : "0");
    fflush(stdout);
    exit(1);
}

/* CHECK(cond, what): ends the program with a FAIL line when cond is false. errno is captured
 * before anything else can change it. */
#define CHECK(cond, what)                                                                  \
    do {                                                                                   \
        int check_errno_ = errno;                                                          \
        if (!(cond))                                                                       \
            io_fail(__FILE__, __LINE__, (what), check_errno_);                             \
    } while (0)

/* "-1 EAGAIN" or "3": a call's result the way the programs print it. The buffer is the
 * caller's so that several results can go into one printf. */
static inline const char *io_result(char *buf, size_t size, long ret, int err)
{
    if (ret < 0)
        snprintf(buf, size, "%ld %s", ret, strerrorname_np(err));
    else
        snprintf(buf, size, "%ld", ret);
    return buf;
}

static inline void io_expect_errno(const char *file, int line, const char *what, long ret,
                                   int err, int want)
{
    char buf[64];
    printf("%s: %s\n", what, io_result(buf, sizeof buf, ret, err));
    if (ret != -1 || err != want)
        io_fail(file, line, what, err);
}

/* EXPECT_ERRNO(what, call, want): makes the call, prints "what: -1 ENAME" and fails unless
 * it returned -1 with errno == want. EAGAIN and EWOULDBLOCK are one value on Linux; it is
 * printed as EAGAIN. */
#define EXPECT_ERRNO(what, call, want)                                                     \
    do {                                                                                   \
        long expect_ret_ = (long)(call);                                                   \
        int expect_errno_ = errno;                                                         \
        io_expect_errno(__FILE__, __LINE__, (what), expect_ret_, expect_errno_, (want));   \
    } while (0)

static inline void io_msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static inline pthread_t io_start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, arg);
    CHECK(rc == 0, "pthread_create");
    return t;
}

static inline void *io_join(pthread_t t)
{
    void *ret;
    int rc = pthread_join(t, &ret);
    CHECK(rc == 0, "pthread_join");
    return ret;
}

/* Counts /proc/self/task and reports it on stderr ("tasks=N") when IO_REPORT_TASKS=1. Call
 * it at a point where several threads of the program are known to be alive: natively each
 * is an OS thread, under the shim all of them share one. */
static inline void io_report_tasks(void)
{
    const char *want = getenv("IO_REPORT_TASKS");
    if (!want || strcmp(want, "1") != 0)
        return;
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL, "opendir /proc/self/task");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    fprintf(stderr, "tasks=%d\n", n);
}

static inline bool io_is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0, "fcntl F_GETFL");
    return (fl & O_NONBLOCK) != 0;
}

static inline void io_set_nonblocking(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0, "fcntl F_GETFL");
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    CHECK(fcntl(fd, F_SETFL, fl) == 0, "fcntl F_SETFL");
}

static inline struct sockaddr_in io_loopback(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static inline int io_bound_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname");
    return ntohs(a.sin_port);
}

/* A socket of the given type (flags such as SOCK_NONBLOCK may be or-ed in) bound to
 * 127.0.0.1 on an ephemeral port, which is stored in *port. */
static inline int io_bound_socket(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    CHECK(fd >= 0, "socket");
    struct sockaddr_in a = io_loopback(0);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind");
    *port = io_bound_port(fd);
    return fd;
}

static inline int io_tcp_listener(int *port)
{
    int fd = io_bound_socket(SOCK_STREAM, port);
    CHECK(listen(fd, 128) == 0, "listen");
    return fd;
}

/* A blocking TCP client connected to 127.0.0.1:port (the kernel completes the handshake
 * from the listen backlog, so no thread needs to be in accept yet). */
static inline int io_tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0, "socket");
    struct sockaddr_in a = io_loopback(port);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    return fd;
}

/* Two ends of one loopback TCP connection: fds[0] the client, fds[1] the accepted side. */
static inline void io_tcp_pair(int fds[2])
{
    int port;
    int lfd = io_tcp_listener(&port);
    fds[0] = io_tcp_connect(port);
    fds[1] = accept(lfd, NULL, NULL);
    CHECK(fds[1] >= 0, "accept");
    close(lfd);
}

/* write() until all of buf is written; a blocking fd never needs more than one call, but
 * the loop keeps a short write from being mistaken for data loss in the report. */
static inline void io_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        CHECK(n > 0, "write");
        p += n;
        len -= (size_t)n;
    }
}

/* read() until len bytes arrived; returns how many did before EOF. */
static inline size_t io_read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        CHECK(n >= 0, "read");
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Byte i of a test stream: a pattern that catches reordered, lost or repeated chunks. */
static inline unsigned char io_pattern(size_t i)
{
    return (unsigned char)((i * 7 + i / 251) & 0xff);
}

static inline void io_fill_pattern(unsigned char *buf, size_t len, size_t offset)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = io_pattern(offset + i);
}

static inline bool io_check_pattern(const unsigned char *buf, size_t len, size_t offset)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != io_pattern(offset + i))
            return false;
    return true;
}

#endif
