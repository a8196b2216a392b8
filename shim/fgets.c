/* Reading bytes and lines from streams on sockets, pipes, FIFOs and terminals without
 * stalling other green threads (runtime/streams.h). The call goes to glibc as it is when
 * the stream's buffer already holds what it needs.
 * Interposes: fgetc, getc, getchar, fgets, __fgets_chk.
 * coverage cooperative: fgetc getc getchar fgets __fgets_chk */
#include "shim.h"

#include "streams.h"

#include <stdint.h>
#include <stdio.h>

GP_EXPORT int fgetc(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, 1, -1))
        return gp__real.fgetc(fp);
    return gp__stream_getc(fp, true);
}

GP_EXPORT int getc(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, 1, -1))
        return gp__real.getc(fp);
    return gp__stream_getc(fp, true);
}

GP_EXPORT int getchar(void)
{
    if (!gp_cooperative() || gp__stream_plain_get(stdin, true, 1, -1))
        return gp__real.getchar();
    return gp__stream_getc(stdin, true);
}

/* fgets needs n - 1 bytes, or a newline before them. */
static size_t line_want(int n) { return n > 1 ? (size_t)n - 1 : 0; }

GP_EXPORT char *fgets(char *buf, int n, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, line_want(n), '\n'))
        return gp__real.fgets(buf, n, fp);
    return gp__stream_fgets(buf, n, fp, true, SIZE_MAX);
}

GP_EXPORT char *__fgets_chk(char *buf, size_t size, int n, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, line_want(n), '\n'))
        return gp__real.__fgets_chk(buf, size, n, fp);
    return gp__stream_fgets(buf, n, fp, true, size);
}
