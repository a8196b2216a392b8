/* Words on streams on sockets, pipes, FIFOs and terminals, without stalling other green
 * threads (runtime/streams.h). Like glibc's, they take no lock.
 * Interposes: getw, putw.
 * coverage cooperative: getw putw */
#include "shim.h"

#include "streams.h"

#include <stdio.h>

GP_EXPORT int getw(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, sizeof(int), -1))
        return gp__real.getw(fp);
    return gp__stream_getw(fp);
}

GP_EXPORT int putw(int w, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_put(fp, false, &w, sizeof w))
        return gp__real.putw(w, fp);
    return gp__stream_putw(w, fp);
}
