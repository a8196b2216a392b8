/* Reading from sockets, pipes, FIFOs and terminals without stalling other green threads.
 * Interposes: read, readv.
 *
 * coverage cooperative: read readv */
#include "shim.h"

#include "io.h"

#include <sys/uio.h>
#include <unistd.h>

GP_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    if (!gp_cooperative())
        return gp__real.read(fd, buf, count);
    int saved = errno;
    struct iovec iov = {.iov_base = buf, .iov_len = count};
    return gp_return(gp__io_readv(fd, &iov, 1), saved);
}

GP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    if (!gp_cooperative())
        return gp__real.readv(fd, iov, iovcnt);
    int saved = errno;
    return gp_return(gp__io_readv(fd, iov, iovcnt), saved);
}
