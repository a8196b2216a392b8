/* Receiving several messages from a socket without stalling the other green threads
 * (runtime/fdio.h). As natively, the timeout is looked at only after each datagram, and
 * the time left is written back when some arrived. A cancellation point.
 * Interposes: recvmmsg.
 * coverage cooperative: recvmmsg */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "fdio.h"

#include <sys/socket.h>

GP_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
                       struct timespec *timeout)
{
    gp__cancel_point();
    if (!gp_cooperative() || (flags & MSG_DONTWAIT) || vlen == 0)
        return gp__real.recvmmsg(fd, vec, vlen, flags, timeout);
    /* A timeout the kernel refuses fails at once: the plain call says so. */
    if (timeout && (!gp__timespec_valid(timeout) || timeout->tv_sec < 0))
        return gp__real.recvmmsg(fd, vec, vlen, flags, timeout);
    int saved = errno;
    int64_t deadline = GP_NO_DEADLINE;
    if (timeout)
        deadline = gp__deadline_after(gp__timespec_ns(timeout));
    int r = gp__fdio_recvmmsg(fd, vec, vlen, flags, deadline);
    gp__cancel_point_after(r);
    if (r > 0 && timeout) {
        int64_t left = deadline - gp__now_ns();
        left = left > 0 ? left : 0;
        *timeout = (struct timespec){left / 1000000000, left % 1000000000};
    }
    return (int)gp_return(r, saved);
}
