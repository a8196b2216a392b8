/* A blocking sendto on an unconnected AF_UNIX datagram socket whose receiver's queue is full
 * waits until another thread takes a datagram off that queue (after 300 ms), then sends.
 * poll() reports such a socket writable all along (it looks only at the sender's own
 * buffer), so a wait that trusts it would spin: the check is that the process used under
 * half of the wall time in CPU time over the wait (natively it is close to none), printed
 * as a yes/no only. Every datagram, the one sent by the blocking call included, arrives.
 * The receiver is bound to an autobound abstract address, so runs never collide. With
 * IO_REPORT_TASKS=1 it reports the OS thread count while the draining thread is alive. */
#include "io_util.h"

#include <sys/un.h>

#define DRAIN_AFTER_MS 300

struct unix_address {
    struct sockaddr_un addr;
    socklen_t len;
};

/* A datagram socket bound to an address the kernel picks (Linux "autobind": a bind with
 * only the family), and that address. */
static int autobound_receiver(struct unix_address *where)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(fd >= 0, "socket");
    struct sockaddr_un family_only = {.sun_family = AF_UNIX};
    CHECK(bind(fd, (struct sockaddr *)&family_only, sizeof(sa_family_t)) == 0, "autobind");
    where->len = sizeof where->addr;
    CHECK(getsockname(fd, (struct sockaddr *)&where->addr, &where->len) == 0, "getsockname");
    return fd;
}

static double seconds_on(clockid_t clock)
{
    struct timespec t;
    CHECK(clock_gettime(clock, &t) == 0, "clock_gettime");
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *take_one_later(void *arg)
{
    int receiver = *(int *)arg;
    io_msleep(DRAIN_AFTER_MS);
    char c;
    CHECK(recv(receiver, &c, 1, 0) == 1, "recv");
    return NULL;
}

/* Receives what is queued without waiting; returns how many datagrams there were. */
static int drain(int receiver)
{
    int count = 0;
    char c;
    while (recv(receiver, &c, 1, MSG_DONTWAIT) == 1)
        count++;
    CHECK(errno == EAGAIN, "recv MSG_DONTWAIT on the drained queue");
    return count;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    struct unix_address to;
    int receiver = autobound_receiver(&to);
    int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sender >= 0, "socket");
    const struct sockaddr *dest = (const struct sockaddr *)&to.addr;

    int queued = 0;
    while (sendto(sender, "q", 1, MSG_DONTWAIT, dest, to.len) == 1)
        queued++;
    CHECK(errno == EAGAIN && queued > 0, "fill the receiver's queue");

    pthread_t drainer = io_start_thread(take_one_later, &receiver);
    io_report_tasks();
    double wall_before = seconds_on(CLOCK_MONOTONIC);
    double cpu_before = seconds_on(CLOCK_PROCESS_CPUTIME_ID);
    ssize_t sent = sendto(sender, "b", 1, 0, dest, to.len);
    int send_errno = errno;
    double cpu = seconds_on(CLOCK_PROCESS_CPUTIME_ID) - cpu_before;
    double wall = seconds_on(CLOCK_MONOTONIC) - wall_before;
    char result[64];
    printf("blocking sendto to a full queue, drained by another thread: %s\n",
           io_result(result, sizeof result, sent, send_errno));
    printf("CPU time over the wait under half of the wall time: %s\n",
           cpu < wall / 2 ? "yes" : "no");
    io_join(drainer);
    int left = drain(receiver);
    printf("every datagram arrived: %s\n", left == queued ? "yes" : "no");
    CHECK(sent == 1 && left == queued, "the blocking sendto and the datagrams");

    close(sender);
    close(receiver);
    printf("done\n");
    return 0;
}
