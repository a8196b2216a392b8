/* Accepting connections without stalling other green threads. Many green threads may wait
 * on one listening socket; each connection goes to one of them.
 * Interposes: accept, accept4.
 *
 * coverage cooperative: accept accept4 */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/socket.h>

GP_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.accept(fd, addr, len);
    int saved = errno;
    int r = gp__io_accept(fd, addr, len, 0, false);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.accept4(fd, addr, len, flags);
    int saved = errno;
    int r = gp__io_accept(fd, addr, len, flags, true);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
