/* Formatted output straight to an fd. glibc's dprintf formats into a stream on its stack
 * that writes with the internal write(), which no interposer sees: here the text is
 * formatted in memory first and written with the cooperative write.
 * Interposes: dprintf, vdprintf, __dprintf_chk, __vdprintf_chk (what programs built with
 * _FORTIFY_SOURCE call; the fortify checks are glibc's own __vasprintf_chk).
 *
 * coverage cooperative: dprintf vdprintf __dprintf_chk __vdprintf_chk */
#include "shim.h"

#include "io.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* glibc's fortified formatter (declared by <bits/stdio2.h> only under _FORTIFY_SOURCE). */
int __vasprintf_chk(char **out, int flag, const char *fmt, va_list ap);

/* Writes the formatted text: its length, or a negative errno (the text is written whole or
 * the call fails, as a flush of glibc's stream would). fortify_flag < 0: no checks. */
static long write_formatted(int fd, int fortify_flag, const char *fmt, va_list ap)
{
    char *text;
    int len = fortify_flag < 0 ? vasprintf(&text, fmt, ap)
                               : __vasprintf_chk(&text, fortify_flag, fmt, ap);
    if (len < 0)
        return -errno;
    struct iovec iov = {.iov_base = text, .iov_len = (size_t)len};
    ssize_t written = len ? gp__io_writev(fd, &iov, 1) : 0;
    free(text);
    return written < 0 ? written : len;
}

GP_EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
    if (!gp_cooperative())
        return gp__real.vdprintf(fd, fmt, ap);
    int saved = errno;
    return (int)gp_return(write_formatted(fd, -1, fmt, ap), saved);
}

GP_EXPORT int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vdprintf(fd, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
    if (!gp_cooperative())
        return gp__real.__vdprintf_chk(fd, flag, fmt, ap);
    int saved = errno;
    return (int)gp_return(write_formatted(fd, flag, fmt, ap), saved);
}

GP_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = __vdprintf_chk(fd, flag, fmt, ap);
    va_end(ap);
    return r;
}
