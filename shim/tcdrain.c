/* Waiting for a terminal's output to drain, or for a break to be sent, without stalling
 * other green threads: the wait runs in the worker pool (ipc.h). tcdrain is a cancellation
 * point, acted on at entry and, once the pool's wait has come back, when the call failed
 * (runtime/cancel.h). tcsendbreak is none, as in glibc.
 * Interposes: tcdrain, tcsendbreak.
 * coverage pool: tcdrain tcsendbreak */
#include "shim.h"

#include "cancel.h"
#include "ipc.h"

#include <termios.h>

GP_EXPORT int tcdrain(int fd)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.tcdrain(fd);
    int saved = errno;
    long r = gp__ipc_tcdrain(fd);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int tcsendbreak(int fd, int duration)
{
    if (!gp_cooperative())
        return gp__real.tcsendbreak(fd, duration);
    int saved = errno;
    return (int)gp_return(gp__ipc_tcsendbreak(fd, duration), saved);
}
