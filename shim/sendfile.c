/* Sending a file into a socket or pipe without stalling the other green threads: a
 * blocking sendfile sends everything, waiting for room on the hub (runtime/fdio.h).
 * Interposes: sendfile, sendfile64.
 * coverage cooperative: sendfile sendfile64 */
#include "shim.h"

#include "fdio.h"

#include <sys/sendfile.h>

GP_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
    if (!gp_cooperative())
        return gp__real.sendfile(out, in, offset, count);
    int saved = errno;
    return gp_return(gp__fdio_sendfile(out, in, offset, count), saved);
}

/* On x86_64 off_t is 64 bits: sendfile64 is the same call. */
GP_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
    __attribute__((alias("sendfile")));
