/* signal(7)'s rule for each call that waits, with other threads alive (under the shim the
 * waits are green ones): a handler installed with SA_RESTART restarts read, readv, write,
 * writev, recv, recvfrom, recvmsg, send, sendmsg, accept and connect on pipes and sockets
 * and a futex wait without a timeout, and the call then completes; without SA_RESTART they
 * fail with EINTR. On a socket with a timeout (SO_RCVTIMEO for accept and receives,
 * SO_SNDTIMEO for connect and sends), and for a futex wait with a timeout, they fail with
 * EINTR either way. (Sleeps and signal waits, which never restart, are checked by the
 * signals and sig_waits programs.)
 * The signal (SIGUSR1, for the process) comes 50 ms after the call started, and what ends
 * the call otherwise (data, room, a connection, a futex wake) 300 ms after it, from another
 * thread. A second part: a signal for the process that only three reading threads take
 * interrupts exactly one of them; the other two go on waiting and get their data. */
#include "sig_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

#define SIGNAL_AFTER_MS 50
#define COMPLETE_AFTER_MS 300

/* One kind of wait: what is set up, the call, and what ends it from another thread. */
struct wait_case {
    const char *name;
    void (*setup)(int fds[2]);
    ssize_t (*call)(int fds[2]);
    void (*complete)(int fds[2]);
};

static void set_timeout(int fd, int opt)
{
    struct timeval tv = {.tv_sec = 5};
    must_succeed(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) ? errno : 0, "setsockopt");
}

static void make_pipe(int fds[2]) { must_succeed(pipe(fds) ? errno : 0, "pipe"); }

static void make_socketpair(int fds[2])
{
    must_succeed(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) ? errno : 0, "socketpair");
}

/* Fills what fd writes into until one more byte would wait. */
static void fill(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    must_succeed(fcntl(fd, F_SETFL, flags | O_NONBLOCK) ? errno : 0, "fcntl");
    static char block[4096];
    while (write(fd, block, sizeof block) > 0)
        ;
    while (write(fd, block, 1) > 0)
        ;
    must_succeed(fcntl(fd, F_SETFL, flags) ? errno : 0, "fcntl");
}

static void full_pipe(int fds[2])
{
    make_pipe(fds);
    fill(fds[1]);
}

static void full_socketpair(int fds[2])
{
    make_socketpair(fds);
    fill(fds[1]);
}

static void full_socketpair_with_send_timeout(int fds[2])
{
    full_socketpair(fds);
    set_timeout(fds[1], SO_SNDTIMEO);
}

static void socketpair_with_receive_timeout(int fds[2])
{
    make_socketpair(fds);
    set_timeout(fds[0], SO_RCVTIMEO);
}

static void udp_pair(int fds[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        must_succeed(fds[i] < 0 ? errno : 0, "socket");
    }
    must_succeed(bind(fds[0], (struct sockaddr *)&a, len) ? errno : 0, "bind");
    must_succeed(getsockname(fds[0], (struct sockaddr *)&a, &len) ? errno : 0, "getsockname");
    must_succeed(connect(fds[1], (struct sockaddr *)&a, len) ? errno : 0, "connect");
}

static struct sockaddr_un unix_address(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "sig_restart-%d", (int)getpid());
    return a;
}

/* fds[0] listens (abstract unix address, backlog 0); fds[1] is a socket to connect. */
static void listener(int fds[2])
{
    struct sockaddr_un a = unix_address();
    fds[0] = socket(AF_UNIX, SOCK_STREAM, 0);
    fds[1] = socket(AF_UNIX, SOCK_STREAM, 0);
    must_succeed(fds[0] < 0 || fds[1] < 0 ? errno : 0, "socket");
    must_succeed(bind(fds[0], (struct sockaddr *)&a, sizeof a) ? errno : 0, "bind");
    must_succeed(listen(fds[0], 0) ? errno : 0, "listen");
}

static void listener_with_receive_timeout(int fds[2])
{
    listener(fds);
    set_timeout(fds[0], SO_RCVTIMEO);
}

/* A listener whose backlog is full: one connection waits to be accepted. */
static int backlog_filler = -1;

static void full_listener(int fds[2])
{
    listener(fds);
    struct sockaddr_un a = unix_address();
    backlog_filler = socket(AF_UNIX, SOCK_STREAM, 0);
    must_succeed(connect(backlog_filler, (struct sockaddr *)&a, sizeof a) ? errno : 0, "connect");
}

static void full_listener_with_send_timeout(int fds[2])
{
    full_listener(fds);
    set_timeout(fds[1], SO_SNDTIMEO);
}

static uint32_t futex_word;

static void futex_zero(int fds[2])
{
    fds[0] = fds[1] = -1;
    futex_word = 0;
}

static ssize_t do_read(int fds[2]) { char c; return read(fds[0], &c, 1); }
static ssize_t do_readv(int fds[2])
{
    char c;
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    return readv(fds[0], &iov, 1);
}
static ssize_t do_recv(int fds[2]) { char c; return recv(fds[0], &c, 1, 0); }
static ssize_t do_recvfrom(int fds[2]) { char c; return recvfrom(fds[0], &c, 1, 0, NULL, NULL); }
static ssize_t do_recvmsg(int fds[2])
{
    char c;
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return recvmsg(fds[0], &m, 0);
}
static ssize_t do_write(int fds[2]) { return write(fds[1], "x", 1); }
static ssize_t do_writev(int fds[2])
{
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    return writev(fds[1], &iov, 1);
}
static ssize_t do_send(int fds[2]) { return send(fds[1], "x", 1, 0); }
static ssize_t do_sendmsg(int fds[2])
{
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return sendmsg(fds[1], &m, 0);
}
static ssize_t do_accept(int fds[2])
{
    int c = accept(fds[0], NULL, NULL);
    if (c >= 0)
        close(c);
    return c < 0 ? -1 : 0;
}
static ssize_t do_connect(int fds[2])
{
    struct sockaddr_un a = unix_address();
    return connect(fds[1], (struct sockaddr *)&a, sizeof a);
}
static ssize_t do_futex_wait(int fds[2])
{
    (void)fds;
    return syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}
static ssize_t do_futex_wait_timed(int fds[2])
{
    (void)fds;
    struct timespec five_s = {.tv_sec = 5};
    return syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &five_s, NULL, 0);
}

static void send_byte(int fds[2]) { must_succeed(write(fds[1], "y", 1) == 1 ? 0 : errno, "write"); }
static void drain(int fds[2])
{
    static char buf[65536];
    int flags = fcntl(fds[0], F_GETFL);
    fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
    while (read(fds[0], buf, sizeof buf) > 0)
        ;
    fcntl(fds[0], F_SETFL, flags);
}
static void connect_one(int fds[2])
{
    (void)fds;
    struct sockaddr_un a = unix_address();
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    close(c);
}
static void accept_one(int fds[2])
{
    int c = accept(fds[0], NULL, NULL);
    if (c >= 0)
        close(c);
}
static void futex_wake(int fds[2])
{
    (void)fds;
    __atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static const struct wait_case cases[] = {
    {"read on a pipe", make_pipe, do_read, send_byte},
    {"readv on a pipe", make_pipe, do_readv, send_byte},
    {"read on a socket", make_socketpair, do_read, send_byte},
    {"recv on a socket", make_socketpair, do_recv, send_byte},
    {"recvfrom on a UDP socket", udp_pair, do_recvfrom, send_byte},
    {"recvmsg on a socket", make_socketpair, do_recvmsg, send_byte},
    {"write on a full pipe", full_pipe, do_write, drain},
    {"writev on a full pipe", full_pipe, do_writev, drain},
    {"send on a full socket", full_socketpair, do_send, drain},
    {"sendmsg on a full socket", full_socketpair, do_sendmsg, drain},
    {"accept", listener, do_accept, connect_one},
    {"connect to a full backlog", full_listener, do_connect, accept_one},
    {"futex wait", futex_zero, do_futex_wait, futex_wake},
    {"recv with SO_RCVTIMEO", socketpair_with_receive_timeout, do_recv, send_byte},
    {"accept with SO_RCVTIMEO", listener_with_receive_timeout, do_accept, connect_one},
    {"send with SO_SNDTIMEO", full_socketpair_with_send_timeout, do_send, drain},
    {"connect with SO_SNDTIMEO", full_listener_with_send_timeout, do_connect, accept_one},
    {"futex wait with a timeout", futex_zero, do_futex_wait_timed, futex_wake},
};

struct completion {
    const struct wait_case *c;
    int *fds;
};

static void *complete_later(void *arg)
{
    struct completion *k = arg;
    usleep(COMPLETE_AFTER_MS * 1000);
    k->c->complete(k->fds);
    return NULL;
}

static void run_case(const struct wait_case *c, int flags)
{
    install_handler(SIGUSR1, count_signal, flags);
    int fds[2];
    c->setup(fds);
    struct completion k = {c, fds};
    pthread_t completer = start_thread(NULL, complete_later, &k);
    handled = 0;
    timer_t timer = signal_process_in_ms(SIGUSR1, SIGNAL_AFTER_MS);
    errno = 0;
    ssize_t r = c->call(fds);
    int err = r < 0 ? errno : 0;
    join_or_die(completer);
    timer_delete(timer);
    printf("%s, %s: %zd %s, handler ran %d\n", c->name, flags ? "SA_RESTART" : "no SA_RESTART",
           r, error_name(err), (int)handled);
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (backlog_filler >= 0)
        close(backlog_filler);
    backlog_filler = -1;
}

/* ---- exactly one of several waiting threads ---- */

enum { READERS = 3 };

static void *read_one(void *arg)
{
    int fd = *(int *)arg;
    char c;
    ssize_t r = read(fd, &c, 1);
    return (void *)(intptr_t)(r < 0 ? errno : 0);
}

static void check_one_of_several(void)
{
    install_handler(SIGUSR1, count_signal, 0);
    int p[READERS][2];
    pthread_t readers[READERS];
    for (int i = 0; i < READERS; i++) {
        make_pipe(p[i]);
        readers[i] = start_thread(NULL, read_one, &p[i][0]);
    }
    block(SIGUSR1); /* main does not take it: one of the readers does */
    usleep(100000);
    handled = 0;
    must_succeed(kill(getpid(), SIGUSR1) ? errno : 0, "kill");
    usleep(100000);
    for (int i = 0; i < READERS; i++)
        must_succeed(write(p[i][1], "z", 1) == 1 ? 0 : errno, "write");
    int interrupted = 0, read_data = 0;
    for (int i = 0; i < READERS; i++) {
        int err = (int)(intptr_t)join_or_die(readers[i]);
        interrupted += err == EINTR;
        read_data += err == 0;
        close(p[i][0]);
        close(p[i][1]);
    }
    printf("a signal for the process, no SA_RESTART, %d reading threads take it: %d read "
           "interrupted, %d read their byte, handler ran %d\n",
           READERS, interrupted, read_data, (int)handled);
    unblock(SIGUSR1);
}

int main(void)
{
    alarm(SAFETY_ALARM_S * 2);
    signal(SIGPIPE, SIG_IGN);
    pthread_t ticker = start_quiet_ticker();
    report_os_threads("ticker-alive");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], SA_RESTART);
        run_case(&cases[i], 0);
    }
    check_one_of_several();
    stop_quiet_ticker(ticker);
    return 0;
}
