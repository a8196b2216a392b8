/* The errors and EOFs of pipes and sockets, from threads, each as natively:
 *  - read/write on a closed fd: -1 EBADF; recv on a pipe: -1 ENOTSOCK; accept on a socket
 *    that is not listening: -1 EINVAL;
 *  - write to a pipe whose read end is closed (SIGPIPE ignored): -1 EPIPE, both when the
 *    read end is already closed and when a writer blocked on the full pipe is woken by the
 *    close;
 *  - recv on a connection the peer reset (SO_LINGER 0, close): -1 ECONNRESET, both when the
 *    reset is already there and when a blocked recv is woken by it; the next recv: 0; a send
 *    afterwards: -1 EPIPE;
 *  - EOF: read on a pipe whose writer closed and recv after the peer closed return 0, also
 *    when the reader was blocked before the close;
 *  - a read of 0 bytes returns 0 at once and takes nothing: a datagram waiting on a unix
 *    datagram socket is still there for the next recv, and a read of 0 bytes from an
 *    eventfd fails with EINVAL (it reads 8 bytes or nothing).
 * With IO_REPORT_TASKS=1 it reports the OS thread count during a blocked call. */
#include "io_util.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#define PIPE_CAPACITY 65536 /* Linux default; a blocking write of this much fits exactly */

/* A call another thread makes after a pause, to wake (or fail) a blocked call. */
struct later {
    int fd;
    void (*action)(int fd);
};

static void *do_later(void *arg)
{
    struct later *l = arg;
    io_msleep(50);
    l->action(l->fd);
    return NULL;
}

static void close_fd(int fd) { CHECK(close(fd) == 0, "close"); }

static void reset_connection(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER");
    close_fd(fd);
}

static pthread_t later(struct later *l, int fd, void (*action)(int))
{
    *l = (struct later){fd, action};
    return io_start_thread(do_later, l);
}

static void check_bad_fds(void)
{
    char c = 0;
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    EXPECT_ERRNO("recv on a pipe", recv(p[0], &c, 1, 0), ENOTSOCK);
    close(p[0]);
    close(p[1]);
    EXPECT_ERRNO("read on a closed fd", read(p[0], &c, 1), EBADF);
    EXPECT_ERRNO("write on a closed fd", write(p[1], &c, 1), EBADF);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0, "socket");
    EXPECT_ERRNO("accept on a socket that is not listening", accept(fd, NULL, NULL), EINVAL);
    close(fd);
}

static void check_epipe(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    close(p[0]);
    EXPECT_ERRNO("write to a pipe whose read end is closed", write(p[1], "x", 1), EPIPE);
    close(p[1]);

    CHECK(pipe(p) == 0, "pipe");
    CHECK(fcntl(p[1], F_SETPIPE_SZ, PIPE_CAPACITY) == PIPE_CAPACITY, "F_SETPIPE_SZ");
    static char fill[PIPE_CAPACITY];
    CHECK(write(p[1], fill, sizeof fill) == PIPE_CAPACITY, "fill the pipe");
    struct later l;
    pthread_t t = later(&l, p[0], close_fd);
    io_report_tasks();
    EXPECT_ERRNO("write blocked on a full pipe, read end closed meanwhile",
                 write(p[1], "x", 1), EPIPE);
    io_join(t);
    close(p[1]);
}

static void check_reset(void)
{
    char buf[8];
    int s[2];
    io_tcp_pair(s);
    reset_connection(s[1]);
    io_msleep(20); /* loopback delivers the RST at once; the pause only makes sure */
    EXPECT_ERRNO("recv on a connection the peer reset", recv(s[0], buf, sizeof buf, 0),
                 ECONNRESET);
    ssize_t n = recv(s[0], buf, sizeof buf, 0);
    printf("next recv on it: %zd\n", n);
    CHECK(n == 0, "recv after ECONNRESET");
    EXPECT_ERRNO("send on it", send(s[0], "x", 1, 0), EPIPE);
    close(s[0]);

    io_tcp_pair(s);
    struct later l;
    pthread_t t = later(&l, s[1], reset_connection);
    EXPECT_ERRNO("recv blocked when the peer resets", recv(s[0], buf, sizeof buf, 0),
                 ECONNRESET);
    io_join(t);
    close(s[0]);
}

static void check_eof(void)
{
    char buf[8];
    int p[2], s[2];
    struct later l;

    CHECK(pipe(p) == 0, "pipe");
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("read on a pipe whose writer closed: %zd\n", n);
    CHECK(n == 0, "EOF on a pipe");
    close(p[0]);

    CHECK(pipe(p) == 0, "pipe");
    pthread_t t = later(&l, p[1], close_fd);
    n = read(p[0], buf, sizeof buf);
    io_join(t);
    printf("read blocked when the writer closes: %zd\n", n);
    CHECK(n == 0, "EOF on a blocked pipe");
    close(p[0]);

    io_tcp_pair(s);
    close(s[1]);
    n = recv(s[0], buf, sizeof buf, 0);
    printf("recv after the peer closed: %zd\n", n);
    CHECK(n == 0, "EOF on a socket");
    close(s[0]);

    io_tcp_pair(s);
    t = later(&l, s[1], close_fd);
    n = recv(s[0], buf, sizeof buf, 0);
    io_join(t);
    printf("recv blocked when the peer closes: %zd\n", n);
    CHECK(n == 0, "EOF on a blocked socket");
    close(s[0]);
}

static void check_zero_length_reads(void)
{
    int s[2];
    char buf[16];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s) == 0, "socketpair");
    CHECK(send(s[1], "abc", 3, 0) == 3, "send");
    ssize_t n = read(s[0], buf, 0);
    printf("read of 0 bytes with a datagram waiting: %zd\n", n);
    CHECK(n == 0, "read of 0 bytes");
    struct iovec nothing = {.iov_base = buf, .iov_len = 0};
    n = readv(s[0], &nothing, 1);
    printf("readv of 0 bytes: %zd\n", n);
    CHECK(n == 0, "readv of 0 bytes");
    n = preadv2(s[0], &nothing, 1, -1, 0);
    printf("preadv2 of 0 bytes at the current offset: %zd\n", n);
    CHECK(n == 0, "preadv2 of 0 bytes");
    n = recv(s[0], buf, sizeof buf, 0);
    printf("then recv: %zd\n", n);
    CHECK(n == 3, "the datagram is still there");
    close(s[0]);
    close(s[1]);

    int e = eventfd(1, 0);
    CHECK(e >= 0, "eventfd");
    EXPECT_ERRNO("read of 0 bytes from an eventfd", read(e, buf, 0), EINVAL);
    close(e);
}

static void *all_checks(void *arg)
{
    (void)arg;
    check_bad_fds();
    check_epipe();
    check_reset();
    check_eof();
    check_zero_length_reads();
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    signal(SIGPIPE, SIG_IGN);
    io_join(io_start_thread(all_checks, NULL));
    printf("done\n");
    return 0;
}
