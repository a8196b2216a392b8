/* Writing a file at an offset without stalling other green threads: a write to the page
 * cache is made inline, one that waits for the device (O_SYNC, O_DSYNC, O_DIRECT files,
 * RWF_SYNC, RWF_DSYNC, or one RWF_NOWAIT says would block) in the worker pool (io.h). The
 * 64 names are the same functions on x86_64 (off_t is 64 bits), as in libc. Each is a
 * cancellation point, acted on at entry and, once the pool's wait has come back, when the
 * call failed (runtime/cancel.h).
 * Interposes: pwrite, pwrite64, pwritev, pwritev64, pwritev2, pwritev64v2.
 * coverage pool: pwrite pwrite64 pwritev pwritev64 pwritev2 pwritev64v2 */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/uio.h>
#include <unistd.h>

GP_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.pwrite(fd, buf, count, offset);
    int saved = errno;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = count};
    long r = gp__io_pwritev(fd, &iov, 1, offset, 0, false);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset)
    __attribute__((alias("pwrite")));

GP_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.pwritev(fd, iov, iovcnt, offset);
    int saved = errno;
    long r = gp__io_pwritev(fd, iov, iovcnt, offset, 0, false);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t offset)
    __attribute__((alias("pwritev")));

GP_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.pwritev2(fd, iov, iovcnt, offset, flags);
    int saved = errno;
    long r = gp__io_pwritev(fd, iov, iovcnt, offset, flags, true);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)
    __attribute__((alias("pwritev2")));
