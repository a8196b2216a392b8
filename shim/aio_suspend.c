/* Waiting for POSIX asynchronous I/O. glibc runs the requests on threads of its own and
 * the waits sleep on an internal futex, so the waits go to the worker pool: glibc's
 * threads complete the requests and wake the worker as they would wake any thread.
 * Interposes: aio_suspend, lio_listio (LIO_WAIT waits for the whole list; LIO_NOWAIT
 * returns at once and is the real call). Versions: the GLIBC_2.34 ones and the ones of
 * librt that programs linked before 2.34 use (lio_listio's 2002-era GLIBC_2.2.5 variant,
 * with its older error reporting, is left to glibc).
 *
 * coverage pool: aio_suspend lio_listio */
#include "shim.h"

#include "pool.h"

#include <aio.h>

struct suspend_call {
    const struct aiocb *const *list;
    int count;
    const struct timespec *timeout;
};

static long suspend_on_worker(void *p)
{
    struct suspend_call *c = p;
    return gp__real.aio_suspend(c->list, c->count, c->timeout) ? -errno : 0;
}

GP_EXPORT_VERSIONS(aio_suspend, "GLIBC_2.34", "GLIBC_2.2.5")
int aio_suspend(const struct aiocb *const list[], int count, const struct timespec *timeout)
{
    if (!gp_cooperative())
        return gp__real.aio_suspend(list, count, timeout);
    int saved = errno;
    struct suspend_call c = {.list = list, .count = count, .timeout = timeout};
    return (int)gp_return(gp__pool_call(suspend_on_worker, &c), saved);
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
    return (int)gp_return(gp__pool_call(listio_on_worker, &c), saved);
}
