/* recvmmsg and sendmmsg, made by the main thread while the ticker (coop.h) ticks and then
 * does what lets the call finish:
 *  - recvmmsg of 4 datagrams on a UDP socket: the ticker sends 4 with one sendmmsg; a
 *    blocking recvmmsg waits for each of them;
 *  - recvmmsg with MSG_WAITFORONE: one datagram is enough;
 *  - recvmmsg with a zero timeout, 2 datagrams sent: it waits for the first, and then the
 *    timeout is over (the kernel looks at it only after each datagram);
 *  - recvmmsg of 2 with a 5 s timeout: the time left is written back;
 *  - sendmmsg of 2 messages of 200 KiB on a TCP socket with small buffers: the ticker
 *    reads all at the other end; each message is sent whole. */
#include "poll_util.h"

#include <stdlib.h>

enum { BIG = 200 * 1024 };

static void udp_pair(int fds[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in b = a;
    socklen_t len = sizeof a;
    fds[0] = socket(AF_INET, SOCK_DGRAM, 0);
    fds[1] = socket(AF_INET, SOCK_DGRAM, 0);
    must_succeed(bind(fds[0], (struct sockaddr *)&a, sizeof a) ||
                         getsockname(fds[0], (struct sockaddr *)&a, &len) ||
                         bind(fds[1], (struct sockaddr *)&b, sizeof b) ||
                         getsockname(fds[1], (struct sockaddr *)&b, &len) ||
                         connect(fds[0], (struct sockaddr *)&b, sizeof b) ||
                         connect(fds[1], (struct sockaddr *)&a, sizeof a)
                     ? errno
                     : 0,
                 "udp pair");
}

/* The ticker sends `count` datagrams of 10, 20, 30... bytes with one sendmmsg. */
struct datagrams {
    int fd;
    unsigned count;
    int sent;
};

static void send_datagrams(void *arg)
{
    struct datagrams *d = arg;
    static unsigned char data[64];
    struct iovec iov[4];
    struct mmsghdr msgs[4];
    memset(msgs, 0, sizeof msgs);
    for (unsigned i = 0; i < d->count; i++) {
        iov[i] = (struct iovec){data, 10 * (i + 1)};
        msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    d->sent = sendmmsg(d->fd, msgs, d->count, 0);
}

static void receive(const char *what, const char *where, unsigned vlen, int flags, unsigned sent,
                    int timeout_ms)
{
    int s[2];
    udp_pair(s);
    static unsigned char bufs[4][64];
    struct iovec iov[4];
    struct mmsghdr msgs[4];
    memset(msgs, 0, sizeof msgs);
    for (unsigned i = 0; i < 4; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    struct timespec ts = ms_timespec(timeout_ms);
    struct datagrams d = {.fd = s[0], .count = sent};
    struct coop_ticker t;
    coop_start(&t, where, send_datagrams, &d);
    int r = recvmmsg(s[1], msgs, vlen, flags, timeout_ms < 0 ? NULL : &ts);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    char buf[64], lens[64] = "";
    for (int i = 0; i < r; i++)
        snprintf(lens + strlen(lens), sizeof lens - strlen(lens), "%s%u", i ? " " : "",
                 msgs[i].msg_len);
    printf("%s: %s, lengths [%s], the ticker's sendmmsg: %d", what,
           io_result(buf, sizeof buf, r, err), lens, d.sent);
    if (timeout_ms == 0)
        printf(", timeout left: %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
    else if (timeout_ms > 0)
        printf(", timeout left less than given: %s",
               yes_no(ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < timeout_ms));
    printf(", ticks while it waited: %d\n", ticks);
    close(s[0]);
    close(s[1]);
}

static void send_big_messages(void)
{
    int s[2];
    small_tcp_pair(s);
    unsigned char *data = malloc(2 * BIG);
    io_fill_pattern(data, 2 * BIG, 0);
    struct iovec iov[2] = {{data, BIG}, {data + BIG, BIG}};
    struct mmsghdr msgs[2];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < 2; i++)
        msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    struct drain d = {.fd = s[1], .want = 2 * BIG};
    struct coop_ticker t;
    coop_start(&t, "sendmmsg-tcp", drain_all, &d);
    int r = sendmmsg(s[0], msgs, 2, 0);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    char buf[64];
    printf("sendmmsg of 2 messages of %d bytes on a TCP socket: %s, lengths %u %u, the other end "
           "got %zu bytes, in order: %s, ticks while it waited: %d\n",
           BIG, io_result(buf, sizeof buf, r, err), msgs[0].msg_len, msgs[1].msg_len, d.got,
           yes_no(d.in_order), ticks);
    free(data);
    close(s[0]);
    close(s[1]);
}

int main(void)
{
    safety_alarm();
    receive("recvmmsg of 4, 4 sent", "recvmmsg", 4, 0, 4, -1);
    receive("recvmmsg of 4 with MSG_WAITFORONE, 1 sent", "recvmmsg-waitforone", 4, MSG_WAITFORONE,
            1, -1);
    receive("recvmmsg of 4 with a zero timeout, 2 sent", "recvmmsg-zero", 4, 0, 2, 0);
    receive("recvmmsg of 2 with a 5 s timeout, 2 sent", "recvmmsg-timeout", 2, 0, 2, 5000);
    send_big_messages();
    printf("done\n");
    return 0;
}
