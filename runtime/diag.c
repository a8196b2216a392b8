/* See diag.h. */
#include "diag.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* How long a report waits for room on a full stderr (a pipe nobody reads) before it is
 * dropped: a report must never turn a crash into a hang. */
enum { STDERR_WAIT_MS = 1000 };

void gp__diag(const char *fmt, ...)
{
    char line[1024] = "greenpatch: ";
    size_t n = 12;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    n += (size_t)len < sizeof line - n - 1 ? (size_t)len : sizeof line - n - 2;
    line[n++] = '\n';
    struct iovec iov = {.iov_base = line, .iov_len = n};
    ssize_t w = pwritev2(2, &iov, 1, -1, RWF_NOWAIT);
    if (w >= 0 || (errno != EAGAIN && errno != EOPNOTSUPP))
        return;
    struct pollfd p = {.fd = 2, .events = POLLOUT};
    if (poll(&p, 1, STDERR_WAIT_MS) == 1 && (p.revents & POLLOUT))
        (void)!syscall(SYS_write, 2, line, n); /* one line: fits a writable pipe's room */
}
