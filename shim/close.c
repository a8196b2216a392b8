/* Closing an fd that other green threads wait on wakes them: their calls fail with EBADF,
 * as a call on a closed fd does. Closing a TCP socket with SO_LINGER set waits, as
 * natively, until the peer has what was sent, or the linger time passes: on the hub
 * (runtime/fdio.h).
 * Interposes: close.
 * coverage cooperative: close */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <unistd.h>

GP_EXPORT int close(int fd)
{
    gp__cancel_point(); /* close never waits here: a cancellation point at its entry only */
    /* Only another green thread can be waiting on fd, so alone the plain close is right. */
    if (!gp_cooperative())
        return gp__real.close(fd);
    int saved = errno;
    return (int)gp_return(gp__io_close(fd), saved);
}
