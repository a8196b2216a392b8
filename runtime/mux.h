/* Multiplexing for green threads: poll, ppoll, select, pselect and the epoll waits.
 *
 * Each call first makes the real call with a zero timeout (and the program's signal mask,
 * so that a signal pending before the call ends it with EINTR exactly as natively). When
 * nothing is ready and the call may wait, the green thread parks on the hub, on every fd
 * at once (for epoll: on the epoll fd, which is readable while events are ready), and
 * then repeats the zero-timeout call, which produces the native result: revents, fd sets,
 * the epoll_event array. A signal handler that runs meanwhile ends the wait with EINTR
 * (these calls are never restarted, signal(7)). An fd that another green thread closes
 * meanwhile is treated as the kernel treats it: the wait goes on, and the next look at
 * the fds reports it (POLLNVAL, EBADF); a closed epoll fd waits out its timeout.
 *
 * Deadlines are absolute (clock.h): GP_NO_DEADLINE waits for ever, 0 does not wait. All
 * functions return a count, 0 on timeout, or a negative errno. */
#ifndef GP_MUX_H
#define GP_MUX_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>

int gp__mux_poll(struct pollfd *fds, nfds_t n, int64_t deadline, const sigset_t *mask);
int gp__mux_select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline,
                   const sigset_t *mask);
int gp__mux_epoll_wait(int epfd, struct epoll_event *events, int max, int64_t deadline,
                       const sigset_t *mask);

/* The deadline of a relative timeout in nanoseconds: negative waits for ever, 0 not at
 * all. */
int64_t gp__mux_deadline(int64_t timeout_ns);

#endif
