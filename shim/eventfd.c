/* glibc's eventfd_read and eventfd_write read and write the counter through its internal
 * read and write, which no interposer sees: they are the cooperative read and write of
 * eight bytes here (runtime/io.h). A read() or write() of an eventfd is cooperative
 * through shim/read.c and shim/write.c. Both are cancellation points, as that read and
 * write are.
 * Interposes: eventfd_read, eventfd_write.
 * coverage cooperative: eventfd_read eventfd_write */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

/* glibc: -1 unless all eight bytes moved (errno as the call left it), else 0. */
static int whole_counter(ssize_t r, int saved)
{
    gp__cancel_point_after(r);
    if (r == (ssize_t)sizeof(eventfd_t))
        return (int)gp_return(0, saved);
    return r < 0 ? (int)gp_return(r, saved) : -1;
}

GP_EXPORT int eventfd_read(int fd, eventfd_t *value)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.eventfd_read(fd, value);
    int saved = errno;
    struct iovec iov = {.iov_base = value, .iov_len = sizeof *value};
    return whole_counter(gp__io_readv(fd, &iov, 1), saved);
}

GP_EXPORT int eventfd_write(int fd, eventfd_t value)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.eventfd_write(fd, value);
    int saved = errno;
    struct iovec iov = {.iov_base = &value, .iov_len = sizeof value};
    return whole_counter(gp__io_writev(fd, &iov, 1), saved);
}
