/* A single-threaded event loop, as nginx or redis run one: 100 rounds of writing a byte
 * into a pipe, epoll_wait for it, reading it back; then 100 rounds of the same with poll.
 * It never starts a thread, so under the shim every call must be the plain libc call:
 * the test traces it and expects exactly the system calls of the native run. */
#include "poll_util.h"

enum { ROUNDS = 100 };

int main(void)
{
    safety_alarm();
    int p[2];
    make_pipe(p);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out[4];
    must_succeed(ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) ? errno : 0, "epoll");
    int events = 0, polled = 0;
    char c;
    for (int i = 0; i < ROUNDS; i++) {
        write_one_byte(&p[1]);
        events += epoll_wait(ep, out, 4, -1);
        must_succeed(read(p[0], &c, 1) == 1 ? 0 : errno, "read");
    }
    for (int i = 0; i < ROUNDS; i++) {
        write_one_byte(&p[1]);
        struct pollfd fd = {.fd = p[0], .events = POLLIN};
        polled += poll(&fd, 1, -1);
        must_succeed(read(p[0], &c, 1) == 1 ? 0 : errno, "read");
    }
    printf("epoll_wait rounds with an event: %d of %d, poll rounds: %d of %d\n", events, ROUNDS,
           polled, ROUNDS);
    close(ep);
    close_pipe(p);
    printf("done\n");
    return 0;
}
