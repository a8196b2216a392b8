/* Syncing and resizing files without stalling other green threads: the calls that wait for
 * the disk run in the worker pool (file.h, GREENPATCH_FILE_IO). The 64 names are the same
 * functions on x86_64 (off_t is 64 bits), as in libc. fsync, fdatasync, msync,
 * sync_file_range and fallocate are cancellation points (glibc 2.36 makes them cancellable;
 * not the others), acted on at entry and, once the pool's wait has come back, when the call
 * failed (runtime/cancel.h).
 * Interposes: fsync, fdatasync, syncfs, sync, sync_file_range, msync, ftruncate,
 * ftruncate64, fallocate, fallocate64, posix_fallocate, posix_fallocate64.
 * coverage pool: fsync fdatasync syncfs sync sync_file_range msync ftruncate ftruncate64
 * coverage pool: fallocate fallocate64 posix_fallocate posix_fallocate64 */
#include "shim.h"

#include "cancel.h"
#include "file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

GP_EXPORT int fsync(int fd)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.fsync(fd);
    int saved = errno;
    long r = gp__file_fsync(fd);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int fdatasync(int fd)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.fdatasync(fd);
    int saved = errno;
    long r = gp__file_fdatasync(fd);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int syncfs(int fd)
{
    if (!gp_cooperative())
        return gp__real.syncfs(fd);
    int saved = errno;
    return (int)gp_return(gp__file_syncfs(fd), saved);
}

GP_EXPORT void sync(void)
{
    if (!gp_cooperative()) {
        gp__real.sync();
        return;
    }
    int saved = errno;
    gp_return(gp__file_sync(), saved);
}

GP_EXPORT int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sync_file_range(fd, offset, nbytes, flags);
    int saved = errno;
    long r = gp__file_sync_file_range(fd, offset, nbytes, flags);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int msync(void *addr, size_t length, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.msync(addr, length, flags);
    int saved = errno;
    long r = gp__file_msync(addr, length, flags);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT int ftruncate(int fd, off_t length)
{
    if (!gp_cooperative())
        return gp__real.ftruncate(fd, length);
    int saved = errno;
    return (int)gp_return(gp__file_ftruncate(fd, length), saved);
}
GP_EXPORT int ftruncate64(int fd, off_t length) __attribute__((alias("ftruncate")));

GP_EXPORT int fallocate(int fd, int mode, off_t offset, off_t length)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.fallocate(fd, mode, offset, length);
    int saved = errno;
    long r = gp__file_fallocate(fd, mode, offset, length);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
GP_EXPORT int fallocate64(int fd, int mode, off_t offset, off_t length)
    __attribute__((alias("fallocate")));

/* posix_fallocate returns its error number and leaves errno alone. */
GP_EXPORT int posix_fallocate(int fd, off_t offset, off_t length)
{
    if (!gp_cooperative())
        return gp__real.posix_fallocate(fd, offset, length);
    int saved = errno;
    return gp_return_error(gp__file_posix_fallocate(fd, offset, length), saved);
}
GP_EXPORT int posix_fallocate64(int fd, off_t offset, off_t length)
    __attribute__((alias("posix_fallocate")));
