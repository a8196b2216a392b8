/* Deferred cancellation of green threads (runtime/cancel.h).
 * Interposes: pthread_cancel, pthread_testcancel, pthread_setcancelstate,
 * pthread_setcanceltype.
 *
 * A request for a green thread is acted on at its next cancellation point: every call the
 * shim interposes that glibc 2.36 makes one (pthreads(7)'s list and glibc's cancellable
 * Linux calls: waits for fds, sleeps, semaphores, children, signals, stdio where it reads
 * or writes, name lookups, the file calls of the worker pool...; runtime/cancel.h says
 * how) and pthread_testcancel; one parked in such a call is woken for it, unless it waits
 * in the worker pool. PTHREAD_CANCEL_ASYNCHRONOUS acts at once where glibc acts without a
 * signal (a thread cancelling itself, enabling cancellation or the asynchronous type with
 * a request pending), else at the next cancellation point too. Requests for threads the
 * shim does not run go to glibc.
 *
 * coverage immediate: pthread_testcancel */
#include "shim.h"

#include "cancel.h"

#include <pthread.h>

GP_EXPORT_VERSIONS(pthread_cancel, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_cancel(pthread_t h)
{
    struct gp_thread *t = gp_green_handle(h);
    if (!t)
        return gp__real.pthread_cancel(h);
    int saved = errno;
    return gp_return_error(gp__cancel_request(t), saved);
}

GP_EXPORT_VERSIONS(pthread_testcancel, "GLIBC_2.34", "GLIBC_2.2.5")
void gp_shim_pthread_testcancel(void)
{
    if (!gp_green()) {
        gp__real.pthread_testcancel();
        return;
    }
    gp__cancel_point();
}

GP_EXPORT int pthread_setcancelstate(int state, int *old)
{
    if (!gp_green())
        return gp__real.pthread_setcancelstate(state, old);
    int saved = errno;
    return gp_return_error(gp__cancel_set_state(state, old), saved);
}

GP_EXPORT int pthread_setcanceltype(int type, int *old)
{
    if (!gp_green())
        return gp__real.pthread_setcanceltype(type, old);
    int saved = errno;
    return gp_return_error(gp__cancel_set_type(type, old), saved);
}
