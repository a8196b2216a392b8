/* A blocking socket call that has already moved some bytes when the peer resets the
 * connection ends with its count, and the error is left for the program's next call:
 *  - a write of 8 MiB on a TCP connection with small buffers, blocked because the peer reads
 *    only a little before it resets (SO_LINGER 0, close): the write returns a partial count;
 *    the next write fails with ECONNRESET, and no SIGPIPE comes before it returns (EPIPE
 *    with SIGPIPE would be the answer only for the call after that one);
 *  - a recv(MSG_WAITALL) of 100 bytes when the peer sends 10 and then resets: it returns the
 *    10 bytes; the next recv fails with ECONNRESET (not 0, EOF).
 * The peer is another thread of the program, so that under the shim every wait is a green
 * one. Its pauses of 300 ms let the blocked call settle into its wait first, even on a
 * loaded machine. With IO_REPORT_TASKS=1 it reports the OS thread count while the peer
 * thread is alive. */
#include "io_util.h"

#include <signal.h>

#define BIG_WRITE (8 * 1024 * 1024)
#define SMALL_BUFFER 4096  /* SO_SNDBUF and SO_RCVBUF: 8 MiB cannot fit in between */
#define PEER_READS 100     /* what the peer takes before it resets, so unread data remains */
#define PEER_SENDS 10      /* what the peer sends before it resets, in the MSG_WAITALL case */
#define WAITALL_ASKS 100   /* more than the peer sends */
#define SETTLE_MS 300      /* the blocked call is waiting by then */

static volatile sig_atomic_t sigpipes;

static void count_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static void set_buffer_size(int fd, int option)
{
    int size = SMALL_BUFFER;
    CHECK(setsockopt(fd, SOL_SOCKET, option, &size, sizeof size) == 0, "setsockopt buffer size");
}

/* fds[0]: the client, with a small send buffer; fds[1]: the accepted side, whose small
 * receive buffer comes from the listener (set before listen, so the window starts small). */
static void tcp_pair_with_small_buffers(int fds[2])
{
    int port;
    int listener = io_bound_socket(SOCK_STREAM, &port);
    set_buffer_size(listener, SO_RCVBUF);
    CHECK(listen(listener, 1) == 0, "listen");
    fds[0] = io_tcp_connect(port);
    set_buffer_size(fds[0], SO_SNDBUF);
    fds[1] = accept(listener, NULL, NULL);
    CHECK(fds[1] >= 0, "accept");
    close(listener);
}

/* An abortive close: the kernel sends RST instead of FIN. */
static void reset_connection(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER");
    CHECK(close(fd) == 0, "close");
}

/* The peer of the big write: waits until the writer is blocked on full buffers, takes a
 * little of the data, and resets with the rest unread. */
static void *read_a_little_then_reset(void *arg)
{
    int fd = *(int *)arg;
    io_msleep(SETTLE_MS);
    char some[PEER_READS];
    CHECK(read(fd, some, sizeof some) > 0, "the peer's read");
    reset_connection(fd);
    return NULL;
}

static void check_write_then_reset(void)
{
    struct sigaction sa = {.sa_handler = count_sigpipe};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGPIPE, &sa, NULL) == 0, "sigaction SIGPIPE");
    int fds[2];
    tcp_pair_with_small_buffers(fds);
    pthread_t peer = io_start_thread(read_a_little_then_reset, &fds[1]);
    io_report_tasks();

    char *buf = calloc(1, BIG_WRITE);
    CHECK(buf != NULL, "calloc");
    ssize_t first = write(fds[0], buf, BIG_WRITE);
    CHECK(first >= 0, "the first write");
    printf("write of 8 MiB, the peer reset after reading a little: a partial count: %s\n",
           first > 0 && first < BIG_WRITE ? "yes" : "no");
    CHECK(first > 0 && first < BIG_WRITE, "a partial count from the first write");
    EXPECT_ERRNO("the next write", write(fds[0], buf, BIG_WRITE), ECONNRESET);
    int sigpipes_by_then = sigpipes;
    printf("SIGPIPEs before the next write returned: %d\n", sigpipes_by_then);
    CHECK(sigpipes_by_then == 0, "no SIGPIPE with ECONNRESET");

    io_join(peer);
    free(buf);
    close(fds[0]);
}

/* The peer of the MSG_WAITALL receive: sends less than it asks for, then resets once the
 * receiver has the bytes and waits for the rest. */
static void *send_a_little_then_reset(void *arg)
{
    int fd = *(int *)arg;
    io_write_all(fd, "0123456789", PEER_SENDS);
    io_msleep(SETTLE_MS);
    reset_connection(fd);
    return NULL;
}

static void check_waitall_then_reset(void)
{
    int fds[2];
    io_tcp_pair(fds);
    pthread_t peer = io_start_thread(send_a_little_then_reset, &fds[1]);
    io_report_tasks();

    char buf[WAITALL_ASKS];
    ssize_t got = recv(fds[0], buf, sizeof buf, MSG_WAITALL);
    CHECK(got >= 0, "recv MSG_WAITALL");
    printf("recv(MSG_WAITALL) of %d, the peer sent %d then reset: %zd, the bytes sent: %s\n",
           WAITALL_ASKS, PEER_SENDS, got,
           got == PEER_SENDS && memcmp(buf, "0123456789", PEER_SENDS) == 0 ? "yes" : "no");
    CHECK(got == PEER_SENDS && memcmp(buf, "0123456789", PEER_SENDS) == 0,
          "the bytes the peer sent, and no more");
    EXPECT_ERRNO("the next recv", recv(fds[0], buf, sizeof buf, 0), ECONNRESET);

    io_join(peer);
    close(fds[0]);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    check_write_then_reset();
    check_waitall_then_reset();
    printf("done\n");
    return 0;
}
