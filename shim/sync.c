/* Flushing every dirty page to disk can take seconds: sync and syncfs go to the worker
 * pool (fsync and fdatasync of one file are in shim/fsync.c).
 * Interposes: sync, syncfs.
 *
 * coverage pool: sync syncfs */
#include "shim.h"

#include "pool.h"

#include <unistd.h>

static long sync_on_worker(void *unused)
{
    (void)unused;
    gp__real.sync();
    return 0;
}

GP_EXPORT void sync(void)
{
    if (!gp_cooperative()) {
        gp__real.sync();
        return;
    }
    int saved = errno;
    gp__pool_call(sync_on_worker, NULL);
    errno = saved;
}

static long syncfs_on_worker(void *fd)
{
    return gp__real.syncfs((int)(intptr_t)fd) ? -errno : 0;
}

GP_EXPORT int syncfs(int fd)
{
    if (!gp_cooperative())
        return gp__real.syncfs(fd);
    int saved = errno;
    return (int)gp_return(gp__pool_call(syncfs_on_worker, (void *)(intptr_t)fd), saved);
}
