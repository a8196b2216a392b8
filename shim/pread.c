/* Reading a file at an offset without stalling other green threads: what the page cache
 * holds is read inline, what would wait for the disk is read in the worker pool (io.h). The
 * 64 names are the same functions on x86_64 (off_t is 64 bits), as in libc. Each is a
 * cancellation point, acted on at entry and, once the pool's wait has come back, when the
 * call failed (runtime/cancel.h).
 * Interposes: pread, pread64, preadv, preadv64, preadv2, preadv64v2, __pread_chk,
 * __pread64_chk.
 * coverage pool: pread pread64 preadv preadv64 preadv2 preadv64v2 __pread_chk __pread64_chk */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/uio.h>
#include <unistd.h>

GP_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.pread(fd, buf, count, offset);
    int saved = errno;
    struct iovec iov = {.iov_base = buf, .iov_len = count};
    long r = gp__io_preadv(fd, &iov, 1, offset, 0, false);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
    __attribute__((alias("pread")));

/* What a program built with _FORTIFY_SOURCE calls for pread when it knows the buffer's
 * size: glibc's version goes to the system call without passing through pread. */
GP_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen)
{
    if (count > buflen)
        __chk_fail();
    return pread(fd, buf, count, offset);
}
GP_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen)
    __attribute__((alias("__pread_chk")));

GP_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.preadv(fd, iov, iovcnt, offset);
    int saved = errno;
    long r = gp__io_preadv(fd, iov, iovcnt, offset, 0, false);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int iovcnt, off_t offset)
    __attribute__((alias("preadv")));

GP_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.preadv2(fd, iov, iovcnt, offset, flags);
    int saved = errno;
    long r = gp__io_preadv(fd, iov, iovcnt, offset, flags, true);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
GP_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)
    __attribute__((alias("preadv2")));
