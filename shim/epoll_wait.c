/* Waiting on an epoll instance without stalling the other green threads: the caller
 * parks on the hub until the epoll fd is readable, which it is while events are ready
 * (runtime/mux.h). A program whose only thread runs the event loop makes the plain call.
 * Each is a cancellation point, as glibc 2.36 makes them.
 * Interposes: epoll_wait, epoll_pwait, epoll_pwait2.
 * coverage cooperative: epoll_wait epoll_pwait epoll_pwait2 */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "mux.h"

#include <sys/epoll.h>

static int green_epoll_wait(int epfd, struct epoll_event *events, int max, int64_t deadline,
                            const sigset_t *mask)
{
    int saved = errno;
    int r = gp__mux_epoll_wait(epfd, events, max, deadline, mask);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

static int64_t deadline_ms(int timeout_ms)
{
    return gp__mux_deadline(timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

GP_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.epoll_wait(epfd, events, max, timeout);
    return green_epoll_wait(epfd, events, max, deadline_ms(timeout), NULL);
}

GP_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout,
                          const sigset_t *mask)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.epoll_pwait(epfd, events, max, timeout, mask);
    return green_epoll_wait(epfd, events, max, deadline_ms(timeout), mask);
}

GP_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int max,
                           const struct timespec *timeout, const sigset_t *mask)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.epoll_pwait2(epfd, events, max, timeout, mask);
    /* A timeout the kernel refuses fails at once: the plain call says so. */
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return gp__real.epoll_pwait2(epfd, events, max, timeout, mask);
    int64_t deadline = timeout ? gp__mux_deadline(gp__timespec_ns(timeout)) : GP_NO_DEADLINE;
    return green_epoll_wait(epfd, events, max, deadline, mask);
}
