/* Sending a file into a socket or pipe without stalling the other green threads: a
 * blocking sendfile sends everything, waiting for room on the hub (runtime/fdio.h). Not a
 * cancellation point: glibc 2.36's sendfile is a plain system call, so pthread_cancel
 * neither wakes nor ends the wait (the request stays pending).
 * Interposes: sendfile, sendfile64.
 * coverage cooperative: sendfile sendfile64 */
#include "shim.h"

#include "cancel.h"
#include "fdio.h"

#include <sys/sendfile.h>

GP_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
    if (!gp_cooperative())
        return gp__real.sendfile(out, in, offset, count);
    int saved = errno;
    bool cancel_was_disabled = gp__cancel_suspend();
    ssize_t r = gp__fdio_sendfile(out, in, offset, count);
    gp__cancel_resume(cancel_was_disabled);
    return gp_return(r, saved);
}

/* On x86_64 off_t is 64 bits: sendfile64 is the same call. */
GP_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
    __attribute__((alias("sendfile")));
