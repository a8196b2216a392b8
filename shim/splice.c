/* Moving data between pipes and sockets without stalling the other green threads
 * (runtime/fdio.h). A call with SPLICE_F_NONBLOCK, or with an fd the program made
 * non-blocking, is the plain call. Each is a cancellation point, as glibc 2.36 makes them.
 * Interposes: splice, tee, vmsplice.
 * coverage cooperative: splice tee vmsplice */
#include "shim.h"

#include "cancel.h"
#include "fdio.h"

#include <fcntl.h>

GP_EXPORT ssize_t splice(int in, off_t *off_in, int out, off_t *off_out, size_t len,
                         unsigned flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.splice(in, off_in, out, off_out, len, flags);
    int saved = errno;
    long r = gp__fdio_splice(in, off_in, out, off_out, len, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t tee(int in, int out, size_t len, unsigned flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.tee(in, out, len, flags);
    int saved = errno;
    long r = gp__fdio_tee(in, out, len, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t vmsplice(int fd, const struct iovec *iov, size_t count, unsigned flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.vmsplice(fd, iov, count, flags);
    int saved = errno;
    long r = gp__fdio_vmsplice(fd, iov, count, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
