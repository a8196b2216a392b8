/* Reading delimited lines of any length from streams on sockets, pipes, FIFOs and
 * terminals without stalling other green threads (runtime/streams.h). Programs built with
 * optimisation call getline as __getdelim (an inline in <bits/stdio.h>).
 * Interposes: getline, getdelim, __getdelim.
 * coverage cooperative: getline getdelim __getdelim */
#include "shim.h"

#include "streams.h"

#include <stdint.h>
#include <stdio.h>

GP_EXPORT ssize_t getline(char **line, size_t *n, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, SIZE_MAX, '\n'))
        return gp__real.getline(line, n, fp);
    return gp__stream_getdelim(line, n, '\n', fp);
}

GP_EXPORT ssize_t getdelim(char **line, size_t *n, int delim, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, SIZE_MAX, delim))
        return gp__real.getdelim(line, n, delim, fp);
    return gp__stream_getdelim(line, n, delim, fp);
}

GP_EXPORT ssize_t __getdelim(char **line, size_t *n, int delim, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, SIZE_MAX, delim))
        return gp__real.__getdelim(line, n, delim, fp);
    return gp__stream_getdelim(line, n, delim, fp);
}
