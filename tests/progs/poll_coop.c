/* Each waiting call of the poll, select and epoll families, made by the main thread while
 * a ticker thread (coop.h) ticks and then writes the byte that ends the wait: with no
 * timeout, then with a 5 s one. Returning at all proves, under the shim, that the wait
 * let the ticker run on the one OS thread. Then:
 *  - poll for POLLOUT on a full pipe, which the ticker drains;
 *  - poll, select and epoll_wait while the ticker closes an fd they wait on: natively
 *    the call keeps waiting; poll then reports POLLNVAL and select leaves the closed fd
 *    out once another fd wakes them; an epoll_wait whose epoll fd was closed waits out
 *    its timeout and reports nothing. */
#include "poll_util.h"

static void wait_woken_by_a_byte(enum wait_call c, int timeout_ms)
{
    int p[2];
    make_pipe(p);
    struct coop_ticker t;
    struct wait_outcome o;
    coop_start(&t, wait_call_names[c], write_one_byte, &p[1]);
    wait_readable(c, p[0], timeout_ms, NULL, &o);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    char buf[64];
    printf("%s, timeout %d ms, a byte comes: %s, %s, ticks while it waited: %d\n",
           wait_call_names[c], timeout_ms, io_result(buf, sizeof buf, o.r, o.err), o.detail,
           ticks);
    if (o.r != 1)
        exit(1);
    close_pipe(p);
}

/* The ticker empties the pipe that arg's first fd reads. */
static void drain(void *arg)
{
    char buf[4096];
    while (read(*(int *)arg, buf, sizeof buf) > 0)
        ;
}

static void poll_for_room(void)
{
    int p[2];
    make_pipe(p);
    fill_until_full(p[1]);
    /* The ticker drains it without blocking. */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    struct coop_ticker t;
    struct pollfd fd = {.fd = p[1], .events = POLLOUT};
    coop_start(&t, "poll-out", drain, &p[0]);
    int r = poll(&fd, 1, -1);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    char buf[64], ev[64];
    printf("poll for POLLOUT on a full pipe, the ticker drains it: %s, revents %s, ticks while "
           "it waited: %d\n",
           io_result(buf, sizeof buf, r, err), revents_name(ev, sizeof ev, fd.revents), ticks);
    close_pipe(p);
}

/* The ticker closes one fd, then writes a byte into another pipe. */
struct close_then_write {
    int close_fd;
    int write_fd;
};

static void close_then_write(void *arg)
{
    struct close_then_write *c = arg;
    close(c->close_fd);
    if (c->write_fd >= 0)
        write_one_byte(&c->write_fd);
}

static void poll_while_closed(void)
{
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    struct close_then_write cw = {.close_fd = a[0], .write_fd = b[1]};
    struct pollfd fds[2] = {{.fd = a[0], .events = POLLIN}, {.fd = b[0], .events = POLLIN}};
    struct coop_ticker t;
    coop_start(&t, "poll-closed", close_then_write, &cw);
    int r = poll(fds, 2, -1), err = errno;
    coop_finish(&t);
    char buf[64], e0[64], e1[64];
    printf("poll on two pipes, the ticker closes one, then writes into the other: %s, revents "
           "%s and %s\n",
           io_result(buf, sizeof buf, r, err), revents_name(e0, sizeof e0, fds[0].revents),
           revents_name(e1, sizeof e1, fds[1].revents));
    close(a[1]);
    close_pipe(b);
}

static void select_while_closed(void)
{
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    struct close_then_write cw = {.close_fd = a[0], .write_fd = b[1]};
    fd_set r;
    FD_ZERO(&r);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    int closed = a[0], n = (a[0] > b[0] ? a[0] : b[0]) + 1;
    struct coop_ticker t;
    coop_start(&t, "select-closed", close_then_write, &cw);
    int ret = select(n, &r, NULL, NULL, NULL), err = errno;
    coop_finish(&t);
    char buf[64];
    printf("select on two pipes, the ticker closes one, then writes into the other: %s, closed "
           "fd in the set: %s, written one: %s\n",
           io_result(buf, sizeof buf, ret, err), yes_no(FD_ISSET(closed, &r)),
           yes_no(FD_ISSET(b[0], &r)));
    close(a[1]);
    close_pipe(b);
}

static void epoll_while_closed(void)
{
    int p[2];
    make_pipe(p);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out[2];
    must_succeed(ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) ? errno : 0, "epoll");
    struct close_then_write cw = {.close_fd = ep, .write_fd = -1};
    struct coop_ticker t;
    coop_start(&t, "epoll-closed", close_then_write, &cw);
    int r = epoll_wait(ep, out, 2, 200), err = errno;
    coop_finish(&t);
    char buf[64];
    printf("epoll_wait for 200 ms while the ticker closes the epoll fd: %s\n",
           io_result(buf, sizeof buf, r, err));
    close_pipe(p);
}

int main(void)
{
    safety_alarm();
    for (int c = 0; c < WAIT_CALLS; c++) {
        wait_woken_by_a_byte(c, -1);
        wait_woken_by_a_byte(c, 5000);
    }
    poll_for_room();
    poll_while_closed();
    select_while_closed();
    epoll_while_closed();
    printf("done\n");
    return 0;
}
