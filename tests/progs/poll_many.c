/* poll and select on 1,000 fds (eventfds: one fd each, readable once written) of which the
 * ticker makes one readable after its ticks: the call reports exactly that one. Under the
 * shim the waiting thread parks once on all 1,000. Then epoll_wait on an epoll instance
 * holding the same 1,000. */
#include "poll_util.h"

#include <stdint.h>
#include <sys/eventfd.h>

enum { FDS = 1000, CHOSEN = 777 };

static int efd[FDS];

static void signal_chosen(void *arg)
{
    (void)arg;
    must_succeed(eventfd_write(efd[CHOSEN], 1) ? errno : 0, "eventfd_write");
}

static void consume_chosen(void)
{
    eventfd_t v;
    must_succeed(eventfd_read(efd[CHOSEN], &v) ? errno : 0, "eventfd_read");
}

int main(void)
{
    safety_alarm();
    for (int i = 0; i < FDS; i++) {
        efd[i] = eventfd(0, EFD_CLOEXEC);
        must_succeed(efd[i] < 0 ? errno : 0, "eventfd");
    }

    static struct pollfd fds[FDS];
    for (int i = 0; i < FDS; i++)
        fds[i] = (struct pollfd){.fd = efd[i], .events = POLLIN};
    struct coop_ticker t;
    coop_start(&t, "poll-1000", signal_chosen, NULL);
    int r = poll(fds, FDS, -1), err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    int ready = 0, which = -1;
    for (int i = 0; i < FDS; i++)
        if (fds[i].revents) {
            ready++;
            which = i;
        }
    char buf[64], ev[64];
    printf("poll on %d fds, one written: %s, entries with revents: %d, entry %d: %s, ticks while "
           "it waited: %d\n",
           FDS, io_result(buf, sizeof buf, r, err), ready, which,
           revents_name(ev, sizeof ev, which >= 0 ? fds[which].revents : 0), ticks);
    consume_chosen();

    fd_set set;
    FD_ZERO(&set);
    int n = 0;
    for (int i = 0; i < FDS; i++) {
        FD_SET(efd[i], &set);
        n = efd[i] + 1 > n ? efd[i] + 1 : n;
    }
    coop_start(&t, "select-1000", signal_chosen, NULL);
    r = select(n, &set, NULL, NULL, NULL);
    err = errno;
    ticks = coop_ticks(&t);
    coop_finish(&t);
    ready = 0;
    for (int i = 0; i < FDS; i++)
        if (FD_ISSET(efd[i], &set)) {
            ready++;
            which = i;
        }
    printf("select on %d fds, one written: %s, fds left in the set: %d, entry %d, ticks while it "
           "waited: %d\n",
           FDS, io_result(buf, sizeof buf, r, err), ready, which, ticks);
    consume_chosen();

    int ep = epoll_create1(0);
    must_succeed(ep < 0 ? errno : 0, "epoll_create1");
    for (int i = 0; i < FDS; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        must_succeed(epoll_ctl(ep, EPOLL_CTL_ADD, efd[i], &e) ? errno : 0, "epoll_ctl");
    }
    struct epoll_event out[8];
    coop_start(&t, "epoll-1000", signal_chosen, NULL);
    r = epoll_wait(ep, out, 8, -1);
    err = errno;
    ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("epoll_wait on %d fds, one written: %s, first event for entry %u, ticks while it "
           "waited: %d\n",
           FDS, io_result(buf, sizeof buf, r, err), r > 0 ? out[0].data.u32 : 0, ticks);
    close(ep);
    for (int i = 0; i < FDS; i++)
        close(efd[i]);
    printf("done\n");
    return 0;
}
