/* See diag.h. */
#include "diag.h"

#include "cancel.h"
#include "real.h"

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

/* pwritev2(2, iov, 1, -1, RWF_NOWAIT) as the system call itself: the shim interposes both
 * pwritev2 and syscall(), and a report may be about the real-function table itself.
 * (-1, 0: the offset "current position" split in the kernel's low and high halves.) */
static ssize_t stderr_write_nowait(const struct iovec *iov)
{
    long r;
    register long offset_low __asm__("r10") = -1;
    register long offset_high __asm__("r8") = 0;
    register long flags __asm__("r9") = RWF_NOWAIT;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_pwritev2), "D"(2L), "S"(iov), "d"(1L), "r"(offset_low),
                       "r"(offset_high), "r"(flags)
                     : "rcx", "r11", "memory");
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

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
    /* A report about the real-function table itself (a name libc lacks, which may be one
     * of those below): only the plain attempt then. */
    if (gp__real_broken) {
        stderr_write_nowait(&iov);
        return;
    }
    /* A stderr whose reader is gone must not turn the report into a death by SIGPIPE: the
     * signal is held during the write and dropped if the write raised it. */
    sigset_t pipe_only, before, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    gp__real.pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
    gp__real.sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t w = stderr_write_nowait(&iov);
    if (w < 0 && (errno == EAGAIN || errno == EOPNOTSUPP)) {
        /* The report may come from anywhere in the runtime: no cancellation acts in it. */
        bool cancel_was_disabled = gp__cancel_suspend();
        struct pollfd p = {.fd = 2, .events = POLLOUT};
        if (poll(&p, 1, STDERR_WAIT_MS) == 1 && (p.revents & POLLOUT))
            w = gp__real.syscall(SYS_write, 2, line, n); /* one line: fits a pipe's room */
        gp__cancel_resume(cancel_was_disabled);
    }
    if (w < 0 && errno == EPIPE && !was_pending) {
        struct timespec now = {0};
        gp__real.sigtimedwait(&pipe_only, NULL, &now);
    }
    gp__real.pthread_sigmask(SIG_SETMASK, &before, NULL);
}
