/* File locks that another process holds without stalling other green threads: the lock is
 * tried without waiting inline; a lock that must be waited for is waited for in the worker
 * pool (file.h). lockf64 is the same function on x86_64, as in libc. fcntl's blocking
 * commands are in shim/fcntl.c. lockf(F_LOCK) is a cancellation point, acted on at its
 * entry and, once the pool's wait has come back, when it failed (cancel.h).
 * Interposes: flock, lockf, lockf64.
 * coverage pool: flock lockf lockf64 */
#include "shim.h"

#include "cancel.h"
#include "file.h"

#include <sys/file.h>
#include <unistd.h>

GP_EXPORT int flock(int fd, int operation)
{
    if (!gp_cooperative() || (operation & LOCK_NB) || !(operation & (LOCK_SH | LOCK_EX)))
        return gp__real.flock(fd, operation);
    int saved = errno;
    return (int)gp_return(gp__file_flock(fd, operation), saved);
}

/* F_LOCK is glibc's cancellable fcntl(F_SETLKW); flock is a plain system call. */
GP_EXPORT int lockf(int fd, int cmd, off_t length)
{
    if (cmd == F_LOCK)
        gp__cancel_point();
    if (!gp_cooperative() || cmd != F_LOCK)
        return gp__real.lockf(fd, cmd, length);
    int saved = errno;
    long r = gp__file_lockf(fd, length);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
GP_EXPORT int lockf64(int fd, int cmd, off_t length) __attribute__((alias("lockf")));
