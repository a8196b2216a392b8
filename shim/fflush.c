/* Flushing streams on sockets, pipes, FIFOs and terminals without stalling other green
 * threads (runtime/streams.h); fflush(NULL) flushes every stream, one at a time.
 * Interposes: fflush.
 * coverage cooperative: fflush */
#include "shim.h"

#include "streams.h"

#include <stdio.h>

GP_EXPORT int fflush(FILE *fp)
{
    if (!gp_cooperative() || (fp && gp__stream_plain_flush(fp, true)))
        return gp__real.fflush(fp);
    return gp__stream_fflush(fp, true);
}
