/* See diag.h. */
#include "diag.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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
    /* A stderr whose reader is gone must not turn the report into a death by SIGPIPE: the
     * signal is held during the write and dropped if the write raised it. */
    sigset_t pipe_only, before, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    struct iovec iov = {.iov_base = line, .iov_len = n};
    /* The system call itself: the shim interposes pwritev2, and a report may come before
     * the real-function table is complete. (-1, 0: the offset "current position" split in
     * the kernel's low and high halves.) */
    ssize_t w = syscall(SYS_pwritev2, 2, &iov, 1, -1L, 0L, RWF_NOWAIT);
    if (w < 0 && (errno == EAGAIN || errno == EOPNOTSUPP)) {
        struct pollfd p = {.fd = 2, .events = POLLOUT};
        if (poll(&p, 1, STDERR_WAIT_MS) == 1 && (p.revents & POLLOUT))
            w = syscall(SYS_write, 2, line, n); /* one line: fits a writable pipe's room */
    }
    if (w < 0 && errno == EPIPE && !was_pending) {
        struct timespec now = {0};
        sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
}
