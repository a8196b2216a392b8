/* Waiting for events on a set of fds without stalling the other green threads: the
 * caller parks on the hub while nothing is ready (runtime/mux.h). A program whose only
 * thread polls (an event loop) makes the plain call.
 * Interposes: poll, __poll, __poll_chk, ppoll, __ppoll_chk (the last two are what
 * programs built with _FORTIFY_SOURCE call). Each is a cancellation point.
 * coverage cooperative: poll __poll __poll_chk ppoll __ppoll_chk */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "mux.h"

#include <poll.h>

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                const sigset_t *mask, size_t fds_len);

static int green_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    int saved = errno;
    int64_t deadline = gp__mux_deadline(timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
    int r = gp__mux_poll(fds, n, deadline, NULL);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

/* A timeout the kernel refuses (negative, or nanoseconds out of range) fails at once:
 * the plain call says so. */
static int green_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                       const sigset_t *mask)
{
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return gp__real.ppoll(fds, n, timeout, mask);
    int saved = errno;
    int64_t deadline = timeout ? gp__mux_deadline(gp__timespec_ns(timeout)) : GP_NO_DEADLINE;
    int r = gp__mux_poll(fds, n, deadline, mask);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.poll(fds, n, timeout);
    return green_poll(fds, n, timeout);
}

/* glibc's other name for poll. */
GP_EXPORT int __poll(struct pollfd *fds, nfds_t n, int timeout) __attribute__((alias("poll")));

/* The fortified calls check that fds holds n entries; a failed check aborts in libc. */
GP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len)
{
    gp__cancel_point();
    if (!gp_cooperative() || fds_len / sizeof *fds < n)
        return gp__real.__poll_chk(fds, n, timeout, fds_len);
    return green_poll(fds, n, timeout);
}

GP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                    const sigset_t *mask)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.ppoll(fds, n, timeout, mask);
    return green_ppoll(fds, n, timeout, mask);
}

GP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                          const sigset_t *mask, size_t fds_len)
{
    gp__cancel_point();
    if (!gp_cooperative() || fds_len / sizeof *fds < n)
        return gp__real.__ppoll_chk(fds, n, timeout, mask, fds_len);
    return green_ppoll(fds, n, timeout, mask);
}
