/* fcntl's blocking commands without stalling other green threads: F_SETLKW and
 * F_OFD_SETLKW (F_SETLKW64 is F_SETLKW on x86_64) try the lock without waiting inline and
 * wait for it in the worker pool (file.h). Every other command (F_GETFL and F_SETFL are
 * called all the time) is the real call at once. fcntl64 and __fcntl are the same function
 * on x86_64, as in libc. The waiting commands are cancellation points (glibc 2.36 makes
 * them cancellable), acted on at entry and, once the pool's wait has come back, when it
 * failed (cancel.h).
 * Interposes: fcntl, fcntl64, __fcntl.
 * coverage pool: fcntl fcntl64 __fcntl */
#include "shim.h"

#include "cancel.h"
#include "file.h"

#include <fcntl.h>
#include <stdarg.h>

GP_EXPORT int fcntl(int fd, int cmd, ...)
{
    /* Every command takes one argument or none; glibc's fcntl reads it as a pointer too
     * (an int argument is passed in the same register). */
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    bool waits = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    if (waits)
        gp__cancel_point();
    if (!waits || !gp_cooperative())
        return gp__real.fcntl(fd, cmd, arg);
    int saved = errno;
    int r = gp__file_setlkw(fd, cmd, arg);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
GP_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
GP_EXPORT int __fcntl(int fd, int cmd, ...) __attribute__((alias("fcntl")));
