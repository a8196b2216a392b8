/* Formatted input from streams on sockets, pipes, FIFOs and terminals without stalling
 * other green threads (runtime/streams.h): glibc's own vfscanf reads through a stand-in
 * stream that refills the FILE cooperatively, so it waits exactly where it would have
 * waited natively. The __isoc99_ names are what programs built for C99 or later call (the
 * plain names keep the GNU meaning of %a).
 * Interposes: scanf, fscanf, vscanf, vfscanf, __isoc99_scanf, __isoc99_fscanf,
 * __isoc99_vscanf, __isoc99_vfscanf.
 * coverage cooperative: scanf fscanf vscanf vfscanf
 * coverage cooperative: __isoc99_scanf __isoc99_fscanf __isoc99_vscanf __isoc99_vfscanf */
#include "shim.h"

#include "streams.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* <stdio.h> sends the plain names to the __isoc99_ ones; the definitions below need
 * their own names. */
int gp_plain_vfscanf(FILE *, const char *, va_list) __asm__("vfscanf");
int gp_plain_vscanf(const char *, va_list) __asm__("vscanf");
int gp_plain_fscanf(FILE *, const char *, ...) __asm__("fscanf");
int gp_plain_scanf(const char *, ...) __asm__("scanf");

static int stream_scanf(FILE *fp, bool isoc99, const char *fmt, va_list ap)
{
    if (!gp_cooperative() || !gp__stream_managed(fp))
        return (isoc99 ? gp__real.__isoc99_vfscanf : gp__real.vfscanf)(fp, fmt, ap);
    return gp__stream_vfscanf(fp, fmt, ap, isoc99);
}

GP_EXPORT int gp_plain_vfscanf(FILE *fp, const char *fmt, va_list ap)
{
    return stream_scanf(fp, false, fmt, ap);
}

GP_EXPORT int gp_plain_vscanf(const char *fmt, va_list ap)
{
    return stream_scanf(stdin, false, fmt, ap);
}

GP_EXPORT int gp_plain_fscanf(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_scanf(fp, false, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int gp_plain_scanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_scanf(stdin, false, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __isoc99_vfscanf(FILE *fp, const char *fmt, va_list ap)
{
    return stream_scanf(fp, true, fmt, ap);
}

GP_EXPORT int __isoc99_vscanf(const char *fmt, va_list ap) { return stream_scanf(stdin, true, fmt, ap); }

GP_EXPORT int __isoc99_fscanf(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_scanf(fp, true, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __isoc99_scanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_scanf(stdin, true, fmt, ap);
    va_end(ap);
    return r;
}
