/* Closing a stream: its buffered output goes out cooperatively, and green threads waiting
 * on its fd wake with EBADF, as close() does (runtime/streams.h).
 * Interposes: fclose.
 * coverage cooperative: fclose */
#include "shim.h"

#include "streams.h"

#include <stdio.h>

GP_EXPORT int fclose(FILE *fp)
{
    if (!gp_cooperative() || !gp__stream_managed(fp))
        return gp__real.fclose(fp);
    return gp__stream_fclose(fp);
}
