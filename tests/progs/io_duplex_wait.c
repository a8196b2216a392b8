/* Several threads blocked on one socket at once:
 *  - opposite directions: one thread in recv() on a socket with no data and one in send()
 *    of a big buffer that fills the send buffer, on the same fd. The main thread wakes one
 *    direction, checks that the other is still blocked, then wakes the other; done once
 *    waking the receiver first and once waking the sender first;
 *  - same direction: two threads in recv() or read() on one socket, or in read() on one
 *    pipe, each get one byte when the other end sends two single bytes.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while both threads wait. */
#include "io_util.h"

#define BIG_SEND (4 * 1024 * 1024)

struct duplex {
    int fd; /* the socket both threads wait on */
    ssize_t received;
    ssize_t sent;
    bool receiver_done, sender_done; /* atomically set when each call returned */
};

static void *duplex_receiver(void *arg)
{
    struct duplex *d = arg;
    char buf[16];
    d->received = recv(d->fd, buf, sizeof buf, 0);
    __atomic_store_n(&d->receiver_done, true, __ATOMIC_RELEASE);
    return NULL;
}

static void *duplex_sender(void *arg)
{
    struct duplex *d = arg;
    unsigned char *buf = malloc(BIG_SEND);
    CHECK(buf != NULL, "malloc");
    io_fill_pattern(buf, BIG_SEND, 0);
    d->sent = send(d->fd, buf, BIG_SEND, 0);
    __atomic_store_n(&d->sender_done, true, __ATOMIC_RELEASE);
    free(buf);
    return NULL;
}

static bool is_done(bool *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }

/* Reads everything the sender pushes; returns the count once BIG_SEND bytes arrived. */
static size_t drain_big_send(int fd)
{
    static unsigned char buf[64 * 1024];
    size_t total = 0;
    bool in_order = true;
    while (total < BIG_SEND) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        CHECK(n > 0, "drain recv");
        in_order = in_order && io_check_pattern(buf, (size_t)n, total);
        total += (size_t)n;
    }
    CHECK(in_order, "drained data in order");
    return total;
}

static void run_duplex(bool wake_receiver_first)
{
    int fds[2];
    io_tcp_pair(fds);
    /* Small fixed buffers (which also stop autotuning) make sure BIG_SEND cannot fit. */
    int small = 64 * 1024;
    CHECK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0, "SO_SNDBUF");
    CHECK(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0, "SO_RCVBUF");
    struct duplex d = {.fd = fds[0]};
    pthread_t r = io_start_thread(duplex_receiver, &d);
    pthread_t s = io_start_thread(duplex_sender, &d);
    io_msleep(100); /* both are blocked by now: no data to receive, no room to send */
    io_report_tasks();
    bool both_blocked = !is_done(&d.receiver_done) && !is_done(&d.sender_done);
    bool other_still_blocked;
    size_t drained;
    if (wake_receiver_first) {
        CHECK(send(fds[1], "wake", 4, 0) == 4, "send wake");
        io_join(r);
        other_still_blocked = !is_done(&d.sender_done);
        drained = drain_big_send(fds[1]);
        io_join(s);
    } else {
        drained = drain_big_send(fds[1]);
        io_join(s);
        other_still_blocked = !is_done(&d.receiver_done);
        CHECK(send(fds[1], "wake", 4, 0) == 4, "send wake");
        io_join(r);
    }
    printf("recv and send blocked on one socket, waking the %s first: both blocked: %s, "
           "other still blocked after the first woke: %s, recv: %zd, send: %zd, peer got %zu\n",
           wake_receiver_first ? "receiver" : "sender", both_blocked ? "yes" : "no",
           other_still_blocked ? "yes" : "no", d.received, d.sent, drained);
    CHECK(both_blocked && other_still_blocked && d.received == 4 && d.sent == BIG_SEND,
          "opposite directions on one socket");
    close(fds[0]);
    close(fds[1]);
}

/* One of two threads that wait on the same fd for one byte each. */
struct one_byte_reader {
    int fd;
    bool use_recv; /* recv() rather than read() */
    long result;
};

static void *read_one_byte(void *arg)
{
    struct one_byte_reader *r = arg;
    char c;
    r->result = r->use_recv ? recv(r->fd, &c, 1, 0) : read(r->fd, &c, 1);
    return NULL;
}

/* Two threads block reading one byte each from fds[0]; the writer end fds[1] gets two
 * single bytes with a pause between them, and each reader must get one. */
static void run_two_readers(const char *what, int fds[2], bool use_recv)
{
    struct one_byte_reader a = {fds[0], use_recv, 0}, b = {fds[0], use_recv, 0};
    pthread_t ta = io_start_thread(read_one_byte, &a);
    pthread_t tb = io_start_thread(read_one_byte, &b);
    io_msleep(50); /* both wait now */
    io_write_all(fds[1], "x", 1);
    io_msleep(50); /* one reader takes it before the second byte is there */
    io_write_all(fds[1], "y", 1);
    io_join(ta);
    io_join(tb);
    printf("two threads in %s, 2 bytes written one by one: got %ld and %ld\n", what, a.result,
           b.result);
    CHECK(a.result == 1 && b.result == 1, what);
    close(fds[0]);
    close(fds[1]);
}

static void run_same_direction(void)
{
    int fds[2];
    io_tcp_pair(fds);
    run_two_readers("recv() on one socket", fds, true);
    io_tcp_pair(fds);
    run_two_readers("read() on one socket", fds, false);
    CHECK(pipe(fds) == 0, "pipe");
    run_two_readers("read() on one pipe", fds, false);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    run_duplex(true);
    run_duplex(false);
    run_same_direction();
    printf("done\n");
    return 0;
}
