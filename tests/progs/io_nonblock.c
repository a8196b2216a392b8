/* O_NONBLOCK belongs to the program:
 *  - on blocking fds, while one thread is blocked in recv/send/accept/connect on a socket or
 *    read/write on a pipe, a watcher thread keeps reading fcntl(F_GETFL) of that fd: it must
 *    never show O_NONBLOCK, during the wait or after it;
 *  - fds the program made non-blocking itself (fcntl, ioctl FIONBIO, socket(SOCK_NONBLOCK),
 *    accept4(SOCK_NONBLOCK), pipe2(O_NONBLOCK)) show O_NONBLOCK and give -1 EAGAIN at once
 *    from read/recv/accept/write; clearing FIONBIO makes recv block again;
 *  - stdin and stdout: their flags are printed at start and at exit and must not change,
 *    after a thread read all of stdin and another wrote to stdout with write().
 * A bystander thread stays alive throughout, so every check runs in a threaded process.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while a watcher runs. */
#include "io_util.h"

#include <sys/ioctl.h>

#define WATCH_MAX_SAMPLES 5000 /* ends a watcher even if nobody stops it */
#define FILL_BYTES (4 * 1024 * 1024)
#define FILL_MAX_WRITES 1000

/* ---- watched blocking calls ---- */

struct watcher {
    int fd;
    bool stop;         /* atomic */
    bool saw_nonblock; /* O_NONBLOCK seen at any sample */
    int samples;       /* atomic */
};

static void *watch_flags(void *arg)
{
    struct watcher *w = arg;
    for (int i = 0; i < WATCH_MAX_SAMPLES && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
         i++) {
        if (io_is_nonblocking(w->fd))
            w->saw_nonblock = true;
        __atomic_add_fetch(&w->samples, 1, __ATOMIC_RELEASE);
        usleep(1000);
    }
    return NULL;
}

/* A blocking call made by its own thread, and what the main thread does to end it. */
struct blocking_case {
    const char *what;
    int fd;                      /* the fd the call waits on */
    int peer;                    /* the other end for wake; the port for connect */
    void (*call)(struct blocking_case *);
    void (*wake)(struct blocking_case *);
    long result;                 /* the call's return value */
};

static void *run_call(void *arg)
{
    struct blocking_case *c = arg;
    c->call(c);
    return NULL;
}

static void run_watched(struct blocking_case *c)
{
    struct watcher w = {.fd = c->fd};
    pthread_t wt = io_start_thread(watch_flags, &w);
    pthread_t ct = io_start_thread(run_call, c);
    io_msleep(50); /* the call is blocked now; the watcher samples meanwhile */
    io_report_tasks();
    /* Make sure of one sample taken while the call waits, however slow the machine. */
    int seen = __atomic_load_n(&w.samples, __ATOMIC_ACQUIRE);
    for (int i = 0; i < WATCH_MAX_SAMPLES && __atomic_load_n(&w.samples, __ATOMIC_ACQUIRE) == seen;
         i++)
        io_msleep(1);
    c->wake(c);
    io_join(ct);
    __atomic_store_n(&w.stop, true, __ATOMIC_RELEASE);
    io_join(wt);
    bool after = io_is_nonblocking(c->fd);
    printf("%s: returned %ld, O_NONBLOCK seen during the wait: %s, after: %s\n", c->what,
           c->result, w.saw_nonblock ? "yes" : "no", after ? "yes" : "no");
    CHECK(!w.saw_nonblock && !after, c->what);
}

/* Writes to a non-blocking fd until it is full (-1 EAGAIN). */
static void fill(int fd)
{
    static char junk[64 * 1024];
    for (int i = 0; i < FILL_MAX_WRITES; i++) {
        if (write(fd, junk, sizeof junk) < 0) {
            CHECK(errno == EAGAIN, "fill: write");
            return;
        }
    }
    io_fail(__FILE__, __LINE__, "fill: fd never became full", 0);
}

static void drain(int fd, size_t len)
{
    static char junk[64 * 1024];
    while (len > 0) {
        ssize_t n = read(fd, junk, len < sizeof junk ? len : sizeof junk);
        CHECK(n > 0, "drain");
        len -= (size_t)n;
    }
}

static void call_recv(struct blocking_case *c)
{
    char buf[4];
    c->result = recv(c->fd, buf, sizeof buf, MSG_WAITALL);
}
static void call_read(struct blocking_case *c)
{
    char buf[4];
    c->result = read(c->fd, buf, sizeof buf);
}
static void wake_by_writing(struct blocking_case *c) { io_write_all(c->peer, "wake", 4); }

static void call_send_big(struct blocking_case *c)
{
    static char big[FILL_BYTES];
    c->result = send(c->fd, big, sizeof big, 0);
}
static void call_write_big(struct blocking_case *c)
{
    static char big[FILL_BYTES];
    c->result = write(c->fd, big, sizeof big);
}
static void wake_by_draining(struct blocking_case *c) { drain(c->peer, FILL_BYTES); }

static void call_accept(struct blocking_case *c)
{
    c->result = accept(c->fd, NULL, NULL);
    CHECK(c->result >= 0, "accept");
    close((int)c->result);
    c->result = 0; /* the new fd number is not deterministic */
}
static void wake_by_connecting(struct blocking_case *c)
{
    close(io_tcp_connect(io_bound_port(c->fd)));
}

static void call_connect(struct blocking_case *c)
{
    struct sockaddr_in a = io_loopback(c->peer);
    c->result = connect(c->fd, (struct sockaddr *)&a, sizeof a);
}
static void wake_nothing(struct blocking_case *c) { (void)c; }

/* A TCP pair whose first end cannot send FILL_BYTES without the peer reading. */
static void small_buffer_pair(int fds[2])
{
    io_tcp_pair(fds);
    int small = 64 * 1024;
    CHECK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0, "SO_SNDBUF");
    CHECK(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0, "SO_RCVBUF");
}

static void check_blocking_fds_stay_blocking(void)
{
    int s[2], p[2];
    small_buffer_pair(s);
    CHECK(pipe(p) == 0, "pipe");

    struct blocking_case recv_case = {"recv on a blocking socket", s[0], s[1], call_recv,
                                      wake_by_writing, 0};
    run_watched(&recv_case);
    struct blocking_case send_case = {"send of 4 MiB on a blocking socket", s[0], s[1],
                                      call_send_big, wake_by_draining, 0};
    run_watched(&send_case);
    struct blocking_case read_case = {"read on a blocking pipe", p[0], p[1], call_read,
                                      wake_by_writing, 0};
    run_watched(&read_case);
    struct blocking_case write_case = {"write of 4 MiB on a blocking pipe", p[1], p[0],
                                       call_write_big, wake_by_draining, 0};
    run_watched(&write_case);

    int port;
    int lfd = io_tcp_listener(&port);
    struct blocking_case accept_case = {"accept on a blocking socket", lfd, -1, call_accept,
                                        wake_by_connecting, 0};
    run_watched(&accept_case);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(cfd >= 0, "socket");
    struct blocking_case connect_case = {"connect on a blocking socket", cfd, port,
                                         call_connect, wake_nothing, 0};
    run_watched(&connect_case);

    int opened[] = {s[0], s[1], p[0], p[1], lfd, cfd};
    for (size_t i = 0; i < sizeof opened / sizeof opened[0]; i++)
        close(opened[i]);
}

/* ---- fds the program made non-blocking itself ---- */

static void expect_nonblocking(const char *what, int fd)
{
    bool on = io_is_nonblocking(fd);
    printf("%s: O_NONBLOCK %s\n", what, on ? "set" : "NOT set");
    CHECK(on, what);
}

static void check_pipes_made_nonblocking(void)
{
    char buf[8];
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    io_set_nonblocking(p[0], true);
    expect_nonblocking("pipe after fcntl(F_SETFL, O_NONBLOCK)", p[0]);
    EXPECT_ERRNO("read on the empty pipe", read(p[0], buf, sizeof buf), EAGAIN);
    close(p[0]);
    close(p[1]);

    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    expect_nonblocking("pipe2(O_NONBLOCK) read end", p[0]);
    expect_nonblocking("pipe2(O_NONBLOCK) write end", p[1]);
    EXPECT_ERRNO("read on the empty pipe2 pipe", read(p[0], buf, sizeof buf), EAGAIN);
    fill(p[1]);
    EXPECT_ERRNO("write into the full pipe2 pipe", write(p[1], "x", 1), EAGAIN);
    close(p[0]);
    close(p[1]);
}

static void *send_later(void *arg)
{
    io_msleep(20);
    io_write_all(*(int *)arg, "late", 4);
    return NULL;
}

static void check_sockets_made_nonblocking(void)
{
    char buf[8];
    int s[2];
    io_tcp_pair(s);
    int on = 1, off = 0;
    CHECK(ioctl(s[0], FIONBIO, &on) == 0, "ioctl FIONBIO on");
    expect_nonblocking("socket after ioctl(FIONBIO, 1)", s[0]);
    EXPECT_ERRNO("recv on the empty socket", recv(s[0], buf, sizeof buf, 0), EAGAIN);
    CHECK(ioctl(s[0], FIONBIO, &off) == 0, "ioctl FIONBIO off");
    bool cleared = !io_is_nonblocking(s[0]);
    pthread_t t = io_start_thread(send_later, &s[1]);
    ssize_t n = recv(s[0], buf, 4, MSG_WAITALL);
    io_join(t);
    printf("after ioctl(FIONBIO, 0): O_NONBLOCK cleared: %s, recv blocks until data: %zd\n",
           cleared ? "yes" : "no", n);
    CHECK(cleared && n == 4, "FIONBIO off");
    close(s[0]);
    close(s[1]);

    int port;
    int lfd = io_bound_socket(SOCK_STREAM | SOCK_NONBLOCK, &port);
    CHECK(listen(lfd, 16) == 0, "listen");
    expect_nonblocking("socket(SOCK_NONBLOCK) listener", lfd);
    EXPECT_ERRNO("accept with nobody connecting", accept(lfd, NULL, NULL), EAGAIN);
    int client = io_tcp_connect(port);
    int afd = -1;
    /* The connection is in the backlog once connect() returned; loopback needs no retry,
     * but a bounded one keeps a slow machine from failing the check. */
    for (int i = 0; i < 100 && afd < 0; i++) {
        afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (afd < 0)
            io_msleep(10);
    }
    CHECK(afd >= 0, "accept4");
    expect_nonblocking("accept4(SOCK_NONBLOCK) connection", afd);
    EXPECT_ERRNO("recv on the accepted connection", recv(afd, buf, sizeof buf, 0), EAGAIN);
    close(afd);
    close(client);
    close(lfd);
}

/* ---- stdin and stdout ---- */

static void print_std_flags(const char *when)
{
    int in = fcntl(STDIN_FILENO, F_GETFL), out = fcntl(STDOUT_FILENO, F_GETFL);
    printf("%s: stdin flags %#x (O_NONBLOCK %s), stdout flags %#x (O_NONBLOCK %s)\n", when, in,
           in & O_NONBLOCK ? "set" : "clear", out, out & O_NONBLOCK ? "set" : "clear");
}

struct stdin_read {
    char text[256];
    size_t len;
};

static void *read_all_stdin(void *arg)
{
    struct stdin_read *r = arg;
    r->len = io_read_full(STDIN_FILENO, r->text, sizeof r->text - 1);
    return NULL;
}

static void *write_stdout(void *arg)
{
    (void)arg;
    static const char line[] = "a line written to stdout with write() by a thread\n";
    io_write_all(STDOUT_FILENO, line, sizeof line - 1);
    return NULL;
}

static void use_stdin_and_stdout_from_threads(void)
{
    struct stdin_read r = {0};
    fflush(stdout); /* keep the order of lines: the thread writes around stdio's buffer */
    pthread_t reader = io_start_thread(read_all_stdin, &r);
    pthread_t writer = io_start_thread(write_stdout, NULL);
    io_join(writer);
    io_join(reader);
    printf("read %zu bytes from stdin: \"%.*s\"\n", r.len, (int)strcspn(r.text, "\n"),
           r.text);
}

/* ---- main ---- */

static void *bystander(void *arg)
{
    char c;
    /* Blocks until main closes the write end at exit. */
    CHECK(read(*(int *)arg, &c, 1) == 0, "bystander read");
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    int start_in = fcntl(STDIN_FILENO, F_GETFL), start_out = fcntl(STDOUT_FILENO, F_GETFL);
    print_std_flags("at start");
    int quit[2];
    CHECK(pipe(quit) == 0, "pipe");
    pthread_t b = io_start_thread(bystander, &quit[0]);

    check_blocking_fds_stay_blocking();
    check_pipes_made_nonblocking();
    check_sockets_made_nonblocking();
    use_stdin_and_stdout_from_threads();

    close(quit[1]);
    io_join(b);
    close(quit[0]);
    print_std_flags("at exit");
    bool unchanged = fcntl(STDIN_FILENO, F_GETFL) == start_in &&
                     fcntl(STDOUT_FILENO, F_GETFL) == start_out;
    printf("stdin and stdout flags unchanged: %s\n", unchanged ? "yes" : "no");
    CHECK(unchanged, "stdin/stdout flags");
    printf("done\n");
    return 0;
}
