/* Opening a FIFO without stalling the other green threads: an O_RDONLY open waits for a
 * writer, an O_WRONLY one for a reader (fifo(7)). Every other open is the plain call after
 * a look at the flags, and, for flags with which a FIFO open would wait, a look at the
 * file's type (runtime/fdio.c says what that costs and why it is the cheapest way).
 * Regular files are opened here as natively: a slow disk is another module's business.
 * Every one is a cancellation point, at its entry and in the wait of a FIFO's open.
 * Interposes: open, open64, __open, __open64, openat, openat64, __open_2, __open64_2,
 * __openat_2, __openat64_2 (the last four are what programs built with _FORTIFY_SOURCE
 * call), creat, creat64.
 * coverage cooperative: open open64 __open __open64 openat openat64 __open_2 __open64_2
 * coverage cooperative: __openat_2 __openat64_2 creat creat64 */
#include "shim.h"

#include "cancel.h"
#include "fdio.h"

#include <fcntl.h>
#include <stdarg.h>

int __open(const char *path, int flags, ...) __nonnull((1));
int __open64(const char *path, int flags, ...) __nonnull((1));
int __open_2(const char *path, int flags) __nonnull((1));
int __open64_2(const char *path, int flags) __nonnull((1));
int __openat_2(int dirfd, const char *path, int flags) __nonnull((2));
int __openat64_2(int dirfd, const char *path, int flags) __nonnull((2));

static int green_open(int dirfd, const char *path, int flags, mode_t mode)
{
    int saved = errno;
    int r = gp__fdio_open(dirfd, path, flags, mode);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

/* The mode argument is there only with O_CREAT or O_TMPFILE (glibc reads it then only). */
#define MODE_ARG(flags, last, mode)                                                          \
    do {                                                                                      \
        if (__OPEN_NEEDS_MODE(flags)) {                                                       \
            va_list ap;                                                                       \
            va_start(ap, last);                                                               \
            mode = va_arg(ap, mode_t);                                                        \
            va_end(ap);                                                                       \
        }                                                                                     \
    } while (0)

GP_EXPORT int open(const char *path, int flags, ...)
{
    gp__cancel_point();
    mode_t mode = 0;
    MODE_ARG(flags, flags, mode);
    if (!gp_cooperative() || !gp__fdio_open_may_wait(flags))
        return gp__real.open(path, flags, mode);
    return green_open(AT_FDCWD, path, flags, mode);
}

/* On x86_64 open64 is open (the kernel forces O_LARGEFILE), and __open, __open64 are
 * glibc's other names for it. */
GP_EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));
GP_EXPORT int __open(const char *path, int flags, ...) __attribute__((alias("open")));
GP_EXPORT int __open64(const char *path, int flags, ...) __attribute__((alias("open")));

GP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    gp__cancel_point();
    mode_t mode = 0;
    MODE_ARG(flags, flags, mode);
    if (!gp_cooperative() || !gp__fdio_open_may_wait(flags))
        return gp__real.openat(dirfd, path, flags, mode);
    return green_open(dirfd, path, flags, mode);
}

GP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

/* The fortified calls refuse O_CREAT and O_TMPFILE without a mode: libc aborts then. */
GP_EXPORT int __open_2(const char *path, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative() || !gp__fdio_open_may_wait(flags) || __OPEN_NEEDS_MODE(flags))
        return gp__real.__open_2(path, flags);
    return green_open(AT_FDCWD, path, flags, 0);
}

GP_EXPORT int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

GP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative() || !gp__fdio_open_may_wait(flags) || __OPEN_NEEDS_MODE(flags))
        return gp__real.__openat_2(dirfd, path, flags);
    return green_open(dirfd, path, flags, 0);
}

GP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
    __attribute__((alias("__openat_2")));

/* creat opens for writing: a FIFO's creat waits for a reader. */
GP_EXPORT int creat(const char *path, mode_t mode)
{
    gp__cancel_point();
    int flags = O_CREAT | O_WRONLY | O_TRUNC;
    if (!gp_cooperative())
        return gp__real.creat(path, mode);
    return green_open(AT_FDCWD, path, flags, mode);
}

GP_EXPORT int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));
