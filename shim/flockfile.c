/* Stream locks held by green threads: flockfile also takes the FILE's green lock
 * (runtime/filelock.h), so that another green thread's stdio calls on the FILE wait while
 * the holder waits inside the stdio calls it makes under the lock, as they would natively.
 * Interposes: flockfile, ftrylockfile, funlockfile.
 * coverage cooperative: flockfile */
#include "shim.h"

#include "streams.h"

#include <stdio.h>

GP_EXPORT void flockfile(FILE *fp)
{
    if (!gp_green()) {
        gp__real.flockfile(fp);
        return;
    }
    gp__stream_lock(fp);
}

GP_EXPORT int ftrylockfile(FILE *fp)
{
    if (!gp_green())
        return gp__real.ftrylockfile(fp);
    return gp__stream_trylock(fp);
}

GP_EXPORT void funlockfile(FILE *fp)
{
    if (!gp_green()) {
        gp__real.funlockfile(fp);
        return;
    }
    gp__stream_unlock(fp);
}
