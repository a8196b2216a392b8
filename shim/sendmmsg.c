/* Sending several messages on a socket without stalling the other green threads: what
 * fits goes in batches, and a message that does not fit is sent as a blocking sendmsg
 * sends it (runtime/fdio.h). A cancellation point.
 * Interposes: sendmmsg.
 * coverage cooperative: sendmmsg */
#include "shim.h"

#include "cancel.h"
#include "fdio.h"

#include <sys/socket.h>

GP_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative() || (flags & MSG_DONTWAIT) || vlen == 0)
        return gp__real.sendmmsg(fd, vec, vlen, flags);
    int saved = errno;
    int r = gp__fdio_sendmmsg(fd, vec, vlen, flags);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
