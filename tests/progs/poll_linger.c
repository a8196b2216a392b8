/* close() of a TCP socket with SO_LINGER set and data the peer has not taken yet: it
 * waits until the peer has acknowledged everything (or the linger time passes).
 *  - the ticker (coop.h) reads all of it at the other end after its ticks: close returns
 *    0, the peer got every byte;
 *  - nobody reads, linger time 1 s: close returns 0 once the time is over;
 *  - shutdown(SHUT_WR) with SO_LINGER and unsent data does not wait on Linux. */
#include "poll_util.h"

static void set_linger(int fd, int seconds)
{
    struct linger l = {.l_onoff = 1, .l_linger = seconds};
    must_succeed(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) ? errno : 0, "SO_LINGER");
}

int main(void)
{
    safety_alarm();
    int s[2];
    small_tcp_pair(s);
    size_t sent = fill_until_full(s[0]);
    set_linger(s[0], 5);
    struct drain d = {.fd = s[1], .want = sent};
    struct coop_ticker t;
    coop_start(&t, "linger", drain_all, &d);
    int r = close(s[0]), err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    char buf[64];
    printf("close with SO_LINGER (5 s) and data in flight, the peer reads it: %s, the peer got "
           "it all, in order: %s, ticks while it waited: %d\n",
           io_result(buf, sizeof buf, r, err), yes_no(d.got == sent && d.in_order), ticks);
    close(s[1]);

    small_tcp_pair(s);
    fill_until_full(s[0]);
    set_linger(s[0], 1);
    coop_start(&t, "linger-timeout", NULL, NULL);
    r = close(s[0]);
    err = errno;
    coop_finish(&t);
    printf("close with SO_LINGER (1 s) and data nobody reads: %s\n",
           io_result(buf, sizeof buf, r, err));
    close(s[1]);

    small_tcp_pair(s);
    fill_until_full(s[0]);
    set_linger(s[0], 5);
    coop_start(&t, "shutdown", NULL, NULL);
    r = shutdown(s[0], SHUT_WR);
    err = errno;
    coop_finish(&t);
    printf("shutdown(SHUT_WR) with SO_LINGER (5 s) and data nobody reads: %s\n",
           io_result(buf, sizeof buf, r, err));
    struct linger off = {0, 0};
    setsockopt(s[0], SOL_SOCKET, SO_LINGER, &off, sizeof off);
    close(s[0]);
    close(s[1]);
    printf("done\n");
    return 0;
}
