/* fcntl's blocking commands without stalling other green threads: F_SETLKW and
 * F_OFD_SETLKW (F_SETLKW64 is F_SETLKW on x86_64) try the lock without waiting inline and
 * wait for it in the worker pool (file.h). Every other command (F_GETFL and F_SETFL are
 * called all the time) is the real call at once. fcntl64 and __fcntl are the same function
 * on x86_64, as in libc.
 * Interposes: fcntl, fcntl64, __fcntl.
 * coverage pool: fcntl fcntl64 __fcntl */
#include "shim.h"

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
    if (!gp_cooperative() || (cmd != F_SETLKW && cmd != F_OFD_SETLKW))
        return gp__real.fcntl(fd, cmd, arg);
    int saved = errno;
    return (int)gp_return(gp__file_setlkw(fd, cmd, arg), saved);
}
GP_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
GP_EXPORT int __fcntl(int fd, int cmd, ...) __attribute__((alias("fcntl")));
