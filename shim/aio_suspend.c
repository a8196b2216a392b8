/* Waiting for POSIX asynchronous I/O without stalling other green threads: glibc's own
 * helper threads carry the requests out; a wait that does not end at once waits in the
 * worker pool (file.h). The calls moved from librt to libc in glibc 2.34 and exist in two
 * versions; aio_suspend64 is the same function on x86_64. aio_suspend is a cancellation
 * point, acted on at entry and, once the pool's wait has come back, when the call failed
 * (runtime/cancel.h); lio_listio is none (glibc waits for the list with cancellation off).
 * Interposes: aio_suspend, aio_suspend64, and lio_listio with LIO_WAIT, which waits for a
 * whole list (LIO_NOWAIT returns at once and is the real call). lio_listio's 2002-era
 * GLIBC_2.2.5 variant, with its older error reporting, is left to glibc.
 * coverage pool: aio_suspend aio_suspend64 lio_listio */
#include "shim.h"

#include "cancel.h"
#include "file.h"
#include "pool.h"

#include <aio.h>

GP_EXPORT_VERSIONS(aio_suspend, "GLIBC_2.34", "GLIBC_2.2.5")
int aio_suspend(const struct aiocb *const list[], int n, const struct timespec *timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.aio_suspend(list, n, timeout);
    int saved = errno;
    long r = gp__file_aio_suspend(list, n, timeout);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

/* struct aiocb64 is struct aiocb on x86_64 (off_t is 64 bits). */
GP_EXPORT_VERSIONS(aio_suspend64, "GLIBC_2.34", "GLIBC_2.2.5")
int aio_suspend64(const struct aiocb64 *const list[], int n, const struct timespec *timeout)
{
    _Static_assert(sizeof(struct aiocb64) == sizeof(struct aiocb), "aiocb64 is aiocb");
    return aio_suspend((const struct aiocb *const *)list, n, timeout);
}

struct listio_call {
    struct aiocb *const *list;
    int count;
    struct sigevent *event;
};

static long listio_on_worker(void *p)
{
    struct listio_call *c = p;
    return gp__real.lio_listio(LIO_WAIT, c->list, c->count, c->event) ? -errno : 0;
}

GP_EXPORT_VERSIONS(lio_listio, "GLIBC_2.34", "GLIBC_2.4")
int lio_listio(int mode, struct aiocb *const list[], int count, struct sigevent *event)
{
    if (mode != LIO_WAIT || !gp_cooperative())
        return gp__real.lio_listio(mode, list, count, event);
    int saved = errno;
    struct listio_call c = {.list = list, .count = count, .event = event};
    return (int)gp_return(gp__pool_wait(listio_on_worker, &c), saved);
}
