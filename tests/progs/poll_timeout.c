/* Timeouts and refused arguments of the poll, select and epoll families, made while a
 * bystander thread lives (so that under the shim each goes through the green path):
 *  - each call with a 20 ms timeout on a pipe nobody writes: 0, nothing reported, select's
 *    set cleared and its timeval at 0, pselect's timespec untouched;
 *  - each call with a zero timeout: 0 at once;
 *  - the arguments the kernel or glibc refuse: negative or out-of-range timeouts
 *    (EINVAL), maxevents 0 and a non-epoll fd for epoll_wait (EINVAL), a closed fd for
 *    poll (POLLNVAL) and for select (EBADF);
 *  - select normalises a timeval with more than a second of microseconds, and writes back
 *    the time left in that form;
 *  - select with n far above the fd table (getdtablesize() style) and sets of FD_SETSIZE
 *    bits: the kernel reads only as many bits as the table has. */
#include "poll_util.h"

static void timed_out(enum wait_call c, int timeout_ms)
{
    int p[2];
    make_pipe(p);
    struct wait_outcome o;
    wait_readable(c, p[0], timeout_ms, NULL, &o);
    char buf[64];
    printf("%s, timeout %d ms, nothing comes: %s, %s\n", wait_call_names[c], timeout_ms,
           io_result(buf, sizeof buf, o.r, o.err), o.detail);
    close_pipe(p);
}

#define REPORT(what, call)                                                                    \
    do {                                                                                      \
        errno = 0;                                                                            \
        long r_ = (call);                                                                     \
        int e_ = errno;                                                                       \
        char b_[64];                                                                          \
        printf("%s: %s\n", (what), io_result(b_, sizeof b_, r_, e_));                       \
    } while (0)

static void refused(void)
{
    int p[2];
    make_pipe(p);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec neg = {-1, 0}, big_ns = {0, 1000000000}, neg_ns = {0, -5};
    struct timeval neg_tv = {-1, 0}, neg_us = {0, -1};
    REPORT("ppoll with tv_sec -1", ppoll(&fd, 1, &neg, NULL));
    REPORT("ppoll with tv_nsec 1000000000", ppoll(&fd, 1, &big_ns, NULL));
    REPORT("select with tv_sec -1", select(p[0] + 1, &r, NULL, NULL, &neg_tv));
    REPORT("select with tv_usec -1", select(p[0] + 1, &r, NULL, NULL, &neg_us));
    REPORT("pselect with tv_nsec -5", pselect(p[0] + 1, &r, NULL, NULL, &neg_ns, NULL));
    REPORT("select with n -1", select(-1, &r, NULL, NULL, NULL));
    int ep = epoll_create1(0);
    struct epoll_event out[2];
    REPORT("epoll_pwait2 with tv_sec -1", epoll_pwait2(ep, out, 2, &neg, NULL));
    REPORT("epoll_wait with maxevents 0", epoll_wait(ep, out, 0, -1));
    REPORT("epoll_wait on a pipe", epoll_wait(p[0], out, 2, -1));
    close(ep);
    int closed = dup(p[0]);
    close(closed);
    struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = closed, .events = POLLIN}};
    int n = poll(fds, 2, -1);
    char e0[64], e1[64];
    printf("poll on a pipe and a closed fd, no timeout: %d, revents %s and %s\n", n,
           revents_name(e0, sizeof e0, fds[0].revents),
           revents_name(e1, sizeof e1, fds[1].revents));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(closed, &r);
    REPORT("select on a pipe and a closed fd, no timeout",
           select((closed > p[0] ? closed : p[0]) + 1, &r, NULL, NULL, NULL));
    close_pipe(p);
}

static void normalised_timeval(void)
{
    int p[2];
    make_pipe(p);
    write_one_byte(&p[1]);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 1500000};
    int n = select(p[0] + 1, &r, NULL, NULL, &tv);
    printf("select with 1500000 microseconds, readable at once: %d, timeval left: %ld s and "
           "less than 500000 us: %s\n",
           n, (long)tv.tv_sec, yes_no(tv.tv_usec < 500000 && tv.tv_usec > 0));
    close_pipe(p);
}

static void select_beyond_the_table(void)
{
    int p[2];
    make_pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 20000};
    int n = select(65536, &r, NULL, NULL, &tv);
    printf("select with n 65536 and sets of %d bits, 20 ms, nothing comes: %d, fd in the set: "
           "%s\n",
           FD_SETSIZE, n, yes_no(FD_ISSET(p[0], &r)));
    write_one_byte(&p[1]);
    FD_SET(p[0], &r);
    n = select(65536, &r, NULL, NULL, NULL);
    printf("the same after a byte came: %d, fd in the set: %s\n", n, yes_no(FD_ISSET(p[0], &r)));
    close_pipe(p);
}

int main(void)
{
    safety_alarm();
    struct bystander b;
    bystander_start(&b);
    for (int c = 0; c < WAIT_CALLS; c++) {
        timed_out(c, 20);
        timed_out(c, 0);
    }
    refused();
    normalised_timeval();
    select_beyond_the_table();
    bystander_stop(&b);
    printf("done\n");
    return 0;
}
