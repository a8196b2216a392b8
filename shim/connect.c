/* Connecting without stalling other green threads; the socket's flags are as the program
 * left them before and after.
 * Interposes: connect.
 *
 * coverage cooperative: connect */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/socket.h>

GP_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.connect(fd, addr, len);
    int saved = errno;
    int r = gp__io_connect(fd, addr, len);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
