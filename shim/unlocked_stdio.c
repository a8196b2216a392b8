/* The stdio calls that take no FILE lock (unlocked_stdio(3)), on sockets, pipes, FIFOs and
 * terminals, without stalling other green threads (runtime/streams.h). Like glibc's, they
 * take neither the FILE's lock nor its green lock: the program holds flockfile, or is the
 * stream's only user. Programs built with optimisation inline getc_unlocked and
 * putc_unlocked (<bits/types/struct_FILE.h>) down to __uflow and __overflow, which are
 * interposed for them, and call fread_unlocked with a known buffer size as
 * __fread_unlocked_chk under _FORTIFY_SOURCE.
 * Interposes: fgetc_unlocked, getc_unlocked, getchar_unlocked, __uflow, fgets_unlocked,
 * __fgets_unlocked_chk, fread_unlocked, __fread_unlocked_chk, fputc_unlocked,
 * putc_unlocked, putchar_unlocked, __overflow, fputs_unlocked, fwrite_unlocked,
 * fflush_unlocked.
 * coverage cooperative: fgetc_unlocked getc_unlocked getchar_unlocked __uflow fgets_unlocked
 * coverage cooperative: __fgets_unlocked_chk fread_unlocked __fread_unlocked_chk
 * coverage cooperative: fputc_unlocked putc_unlocked putchar_unlocked __overflow
 * coverage cooperative: fputs_unlocked fwrite_unlocked fflush_unlocked */
#include "shim.h"

#include "streams.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* <bits/stdio.h> makes these two macros when optimising. */
#undef fread_unlocked
#undef fwrite_unlocked

GP_EXPORT int fgetc_unlocked(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, 1, -1))
        return gp__real.fgetc_unlocked(fp);
    return gp__stream_getc(fp, false);
}

GP_EXPORT int getc_unlocked(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, 1, -1))
        return gp__real.getc_unlocked(fp);
    return gp__stream_getc(fp, false);
}

GP_EXPORT int getchar_unlocked(void)
{
    if (!gp_cooperative() || gp__stream_plain_get(stdin, false, 1, -1))
        return gp__real.getchar_unlocked();
    return gp__stream_getc(stdin, false);
}

GP_EXPORT int __uflow(FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, 1, -1))
        return gp__real.__uflow(fp);
    return gp__stream_uflow(fp);
}

static size_t line_want(int n) { return n > 1 ? (size_t)n - 1 : 0; }

GP_EXPORT char *fgets_unlocked(char *buf, int n, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, line_want(n), '\n'))
        return gp__real.fgets_unlocked(buf, n, fp);
    return gp__stream_fgets(buf, n, fp, false, SIZE_MAX);
}

GP_EXPORT char *__fgets_unlocked_chk(char *buf, size_t size, int n, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, line_want(n), '\n'))
        return gp__real.__fgets_unlocked_chk(buf, size, n, fp);
    return gp__stream_fgets(buf, n, fp, false, size);
}

GP_EXPORT size_t fread_unlocked(void *buf, size_t size, size_t count, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, size * count, -1))
        return (gp__real.fread_unlocked)(buf, size, count, fp);
    return gp__stream_fread(buf, size, count, fp, false, SIZE_MAX);
}

GP_EXPORT size_t __fread_unlocked_chk(void *buf, size_t buf_size, size_t size, size_t count,
                                      FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, false, size * count, -1))
        return gp__real.__fread_unlocked_chk(buf, buf_size, size, count, fp);
    return gp__stream_fread(buf, size, count, fp, false, buf_size);
}

GP_EXPORT int fputc_unlocked(int c, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_putc(fp, false))
        return gp__real.fputc_unlocked(c, fp);
    return gp__stream_putc(c, fp, false);
}

GP_EXPORT int putc_unlocked(int c, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_putc(fp, false))
        return gp__real.putc_unlocked(c, fp);
    return gp__stream_putc(c, fp, false);
}

GP_EXPORT int putchar_unlocked(int c)
{
    if (!gp_cooperative() || gp__stream_plain_putc(stdout, false))
        return gp__real.putchar_unlocked(c);
    return gp__stream_putc(c, stdout, false);
}

/* Called only when the buffer is full (or line-buffered): always cooperative. */
GP_EXPORT int __overflow(FILE *fp, int c)
{
    if (!gp_cooperative() || !gp__stream_managed(fp))
        return gp__real.__overflow(fp, c);
    return gp__stream_overflow(fp, c);
}

GP_EXPORT int fputs_unlocked(const char *s, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_put(fp, false, s, strlen(s)))
        return gp__real.fputs_unlocked(s, fp);
    return gp__stream_fputs(s, fp, false);
}

GP_EXPORT size_t fwrite_unlocked(const void *buf, size_t size, size_t count, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_put(fp, false, buf, size * count))
        return (gp__real.fwrite_unlocked)(buf, size, count, fp);
    return gp__stream_fwrite(buf, size, count, fp, false);
}

GP_EXPORT int fflush_unlocked(FILE *fp)
{
    if (!gp_cooperative() || (fp && gp__stream_plain_flush(fp, false)))
        return gp__real.fflush_unlocked(fp);
    return gp__stream_fflush(fp, false);
}
