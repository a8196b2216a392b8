/* Formatted output to streams and fds on sockets, pipes, FIFOs and terminals without
 * stalling other green threads (runtime/streams.h): the text is formatted first, then
 * written as one piece, cooperatively when the stream's buffer must go out. The __*_chk
 * names are what _FORTIFY_SOURCE builds call; their checks (%n in writable formats) stay
 * glibc's, through __vsnprintf_chk. They are cancellation points where glibc's are, at the
 * writes they make: a stream's inside the call (runtime/streams.h), an fd's here.
 * Interposes: printf, fprintf, vprintf, vfprintf, dprintf, vdprintf, __printf_chk,
 * __fprintf_chk, __vprintf_chk, __vfprintf_chk, __dprintf_chk, __vdprintf_chk.
 * coverage cooperative: printf fprintf vprintf vfprintf dprintf vdprintf
 * coverage cooperative: __printf_chk __fprintf_chk __vprintf_chk __vfprintf_chk
 * coverage cooperative: __dprintf_chk __vdprintf_chk */
#include "shim.h"

#include "cancel.h"
#include "streams.h"

#include <stdarg.h>
#include <stdio.h>

enum { PLAIN = -1 }; /* the fortify flag of the names without _chk */

/* printf is vfprintf on stdout in glibc too, the _chk names likewise. */
static int stream_printf(FILE *fp, int flag, const char *fmt, va_list ap)
{
    if (!gp_cooperative() || !gp__stream_managed(fp))
        return flag == PLAIN ? gp__real.vfprintf(fp, fmt, ap)
                             : gp__real.__vfprintf_chk(fp, flag, fmt, ap);
    return gp__stream_vfprintf(fp, flag, fmt, ap);
}

/* Holds no lock: the hook comes after the call, which fails when pthread_cancel woke its
 * write (cancel.h). */
static int fd_printf(int fd, int flag, const char *fmt, va_list ap)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return flag == PLAIN ? gp__real.vdprintf(fd, fmt, ap)
                             : gp__real.__vdprintf_chk(fd, flag, fmt, ap);
    int r = gp__stream_vdprintf(fd, flag, fmt, ap);
    gp__cancel_point_after(r);
    return r;
}

GP_EXPORT int vfprintf(FILE *fp, const char *fmt, va_list ap)
{
    return stream_printf(fp, PLAIN, fmt, ap);
}

GP_EXPORT int vprintf(const char *fmt, va_list ap) { return stream_printf(stdout, PLAIN, fmt, ap); }

GP_EXPORT int fprintf(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_printf(fp, PLAIN, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_printf(stdout, PLAIN, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __vfprintf_chk(FILE *fp, int flag, const char *fmt, va_list ap)
{
    return stream_printf(fp, flag, fmt, ap);
}

GP_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
    return stream_printf(stdout, flag, fmt, ap);
}

GP_EXPORT int __fprintf_chk(FILE *fp, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_printf(fp, flag, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = stream_printf(stdout, flag, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int vdprintf(int fd, const char *fmt, va_list ap) { return fd_printf(fd, PLAIN, fmt, ap); }

GP_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
    return fd_printf(fd, flag, fmt, ap);
}

GP_EXPORT int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fd_printf(fd, PLAIN, fmt, ap);
    va_end(ap);
    return r;
}

GP_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fd_printf(fd, flag, fmt, ap);
    va_end(ap);
    return r;
}
