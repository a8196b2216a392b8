/* Waiting for a terminal's output to drain without stalling other green threads: the
 * wait runs in the worker pool (ipc.h).
 * Interposes: tcdrain.
 * coverage pool: tcdrain */
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
