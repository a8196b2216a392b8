/* Writing to sockets, pipes, FIFOs and terminals without stalling other green threads. A
 * blocking write returns when everything is written, as natively.
 * Interposes: write, writev.
 *
 * coverage cooperative: write writev */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/uio.h>
#include <unistd.h>

GP_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.write(fd, buf, count);
    int saved = errno;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = count};
    ssize_t r = gp__io_writev(fd, &iov, 1);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.writev(fd, iov, iovcnt);
    int saved = errno;
    ssize_t r = gp__io_writev(fd, iov, iovcnt);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
