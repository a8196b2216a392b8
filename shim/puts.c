/* Writing bytes and strings to streams on sockets, pipes, FIFOs and terminals without
 * stalling other green threads (runtime/streams.h). The call goes to glibc as it is when
 * its bytes fit in the stream's buffer without a write.
 * Interposes: fputc, putc, putchar, fputs, puts.
 * coverage cooperative: fputc putc putchar fputs puts */
#include "shim.h"

#include "streams.h"

#include <stdio.h>
#include <string.h>

GP_EXPORT int fputc(int c, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_putc(fp, true))
        return gp__real.fputc(c, fp);
    return gp__stream_putc(c, fp, true);
}

GP_EXPORT int putc(int c, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_putc(fp, true))
        return gp__real.putc(c, fp);
    return gp__stream_putc(c, fp, true);
}

GP_EXPORT int putchar(int c)
{
    if (!gp_cooperative() || gp__stream_plain_putc(stdout, true))
        return gp__real.putchar(c);
    return gp__stream_putc(c, stdout, true);
}

GP_EXPORT int fputs(const char *s, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_put(fp, true, s, strlen(s)))
        return gp__real.fputs(s, fp);
    return gp__stream_fputs(s, fp, true);
}

GP_EXPORT int puts(const char *s)
{
    if (!gp_cooperative() || gp__stream_plain_puts(s))
        return gp__real.puts(s);
    return gp__stream_puts(s);
}
