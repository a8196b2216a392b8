/* Waiting for a terminal's output to drain, or for a break to be sent, without stalling
 * other green threads: the wait runs in the worker pool (ipc.h).
 * Interposes: tcdrain, tcsendbreak.
 * coverage pool: tcdrain tcsendbreak */
#include "shim.h"

#include "ipc.h"

#include <termios.h>

GP_EXPORT int tcdrain(int fd)
{
    if (!gp_cooperative())
        return gp__real.tcdrain(fd);
    int saved = errno;
    return (int)gp_return(gp__ipc_tcdrain(fd), saved);
}

GP_EXPORT int tcsendbreak(int fd, int duration)
{
    if (!gp_cooperative())
        return gp__real.tcsendbreak(fd, duration);
    int saved = errno;
    return (int)gp_return(gp__ipc_tcsendbreak(fd, duration), saved);
}
