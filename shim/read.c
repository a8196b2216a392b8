/* Reading from sockets, pipes, FIFOs and terminals without stalling other green threads.
 * Interposes: read, readv, and __read_chk (what read becomes in a program built with
 * _FORTIFY_SOURCE when the buffer's size is known).
 *
 * coverage cooperative: read readv __read_chk */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/uio.h>
#include <unistd.h>

GP_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.read(fd, buf, count);
    int saved = errno;
    ssize_t r = gp__io_read(fd, buf, count);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.readv(fd, iov, iovcnt);
    int saved = errno;
    ssize_t r = gp__io_readv(fd, iov, iovcnt);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
    if (count > buflen)
        __chk_fail();
    return read(fd, buf, count);
}
