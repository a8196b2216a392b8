/* SO_RCVTIMEO and SO_SNDTIMEO on blocking sockets, while a counter thread keeps sleeping in
 * 1 ms steps and counting (it must make progress during every wait: under the shim a wait
 * with a timeout must be a switch, not a blocked OS thread):
 *  - recv() and read() with SO_RCVTIMEO on a socket with no data: -1 EAGAIN;
 *  - recv() with SO_RCVTIMEO when data arrives before the timeout: the data;
 *  - send() or write() of a large buffer with SO_SNDTIMEO to a peer that never reads: the
 *    partial count (Linux returns it once any byte was sent) or -1 EAGAIN, printed as a
 *    class; then a second call into the full buffer: -1 EAGAIN;
 *  - accept() with SO_RCVTIMEO on a listening socket nobody connects to: -1 EAGAIN.
 * No timing is printed or checked beyond "it returned".
 * With IO_REPORT_TASKS=1 it reports the OS thread count during the first wait. */
#include "io_util.h"

#include <sys/time.h>

#define TIMEOUT_MS 200
#define BIG_SEND (16 * 1024 * 1024)
#define COUNTER_MAX_TICKS 20000 /* ends the counter even if nobody stops it */

static long ticks;  /* counter thread's progress, atomic */
static bool stop;   /* atomic */

static void *counter(void *arg)
{
    (void)arg;
    for (int i = 0; i < COUNTER_MAX_TICKS && !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
        usleep(1000);
        __atomic_add_fetch(&ticks, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static long current_ticks(void) { return __atomic_load_n(&ticks, __ATOMIC_ACQUIRE); }

static void set_timeout(int fd, int option, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    CHECK(setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) == 0, "setsockopt timeout");
}

/* Prints "what: RESULT, counter progressed: yes" and fails unless the result is -1 with
 * errno want and the counter moved since ticks_before. */
static void expect_timeout(const char *what, long ret, int err, int want, long ticks_before)
{
    bool progressed = current_ticks() > ticks_before;
    char buf[64];
    printf("%s: %s, counter progressed: %s\n", what, io_result(buf, sizeof buf, ret, err),
           progressed ? "yes" : "no");
    CHECK(ret == -1 && err == want && progressed, what);
}

static void check_receive_timeouts(void)
{
    int fds[2];
    io_tcp_pair(fds);
    set_timeout(fds[0], SO_RCVTIMEO, TIMEOUT_MS);
    char buf[16];

    long before = current_ticks();
    io_report_tasks();
    long ret = recv(fds[0], buf, sizeof buf, 0);
    expect_timeout("recv with SO_RCVTIMEO, no data", ret, errno, EAGAIN, before);

    before = current_ticks();
    ret = read(fds[0], buf, sizeof buf);
    expect_timeout("read with SO_RCVTIMEO, no data", ret, errno, EAGAIN, before);
    close(fds[0]);
    close(fds[1]);
}

static void *send_hello_later(void *arg)
{
    int fd = *(int *)arg;
    io_msleep(20);
    CHECK(send(fd, "hello", 5, 0) == 5, "send hello");
    return NULL;
}

static void check_data_before_timeout(void)
{
    int fds[2];
    io_tcp_pair(fds);
    set_timeout(fds[0], SO_RCVTIMEO, 5000);
    pthread_t t = io_start_thread(send_hello_later, &fds[1]);
    char buf[16] = "";
    ssize_t n = recv(fds[0], buf, sizeof buf - 1, 0);
    io_join(t);
    printf("recv with SO_RCVTIMEO, data arrives first: %zd \"%s\"\n", n, buf);
    CHECK(n == 5 && strcmp(buf, "hello") == 0, "recv before timeout");
    close(fds[0]);
    close(fds[1]);
}

static ssize_t send_no_flags(int fd, const void *buf, size_t len) { return send(fd, buf, len, 0); }

/* One call of BIG_SEND bytes, then a second into the full buffer, through send or write. */
static void check_send_timeouts(const char *name, ssize_t (*call)(int, const void *, size_t))
{
    int fds[2];
    io_tcp_pair(fds); /* fds[1] never reads */
    /* Fixed buffer sizes stop autotuning, which could otherwise make room again for the
     * second call. */
    int small = 64 * 1024;
    CHECK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0, "SO_SNDBUF");
    CHECK(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0, "SO_RCVBUF");
    set_timeout(fds[0], SO_SNDTIMEO, TIMEOUT_MS);
    unsigned char *buf = calloc(1, BIG_SEND);
    CHECK(buf != NULL, "calloc");

    long before = current_ticks();
    ssize_t n = call(fds[0], buf, BIG_SEND);
    int err = errno;
    bool progressed = current_ticks() > before;
    const char *cls = n > 0 && n < BIG_SEND ? "partial count"
                      : n == -1 && err == EAGAIN ? "-1 EAGAIN"
                                                 : "unexpected";
    printf("%s of %d bytes with SO_SNDTIMEO, peer never reads: %s, counter progressed: %s\n",
           name, BIG_SEND, cls, progressed ? "yes" : "no");
    CHECK(strcmp(cls, "unexpected") != 0 && progressed, name);

    before = current_ticks();
    long ret = call(fds[0], buf, BIG_SEND);
    char what[64];
    snprintf(what, sizeof what, "second %s into the full buffer", name);
    expect_timeout(what, ret, errno, EAGAIN, before);
    free(buf);
    close(fds[0]);
    close(fds[1]);
}

static void check_accept_timeout(void)
{
    int port;
    int fd = io_tcp_listener(&port);
    set_timeout(fd, SO_RCVTIMEO, TIMEOUT_MS);
    long before = current_ticks();
    long ret = accept(fd, NULL, NULL);
    expect_timeout("accept with SO_RCVTIMEO, nobody connects", ret, errno, EAGAIN, before);
    close(fd);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    pthread_t t = io_start_thread(counter, NULL);
    check_receive_timeouts();
    check_data_before_timeout();
    check_send_timeouts("send", send_no_flags);
    check_send_timeouts("write", write);
    check_accept_timeout();
    __atomic_store_n(&stop, true, __ATOMIC_RELEASE);
    io_join(t);
    printf("done\n");
    return 0;
}
