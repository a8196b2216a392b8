/* See io.h. */
#include "io.h"

#include "clock.h"
#include "hub.h"
#include "real.h"
#include "scheduler.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The state of one interposed call across its attempts. */
struct io_wait {
    int fd;
    int events;        /* GP_HUB_READ or GP_HUB_WRITE */
    int timeout_opt;   /* SO_RCVTIMEO or SO_SNDTIMEO: the socket's own timeout for this call */
    bool checked;      /* the fd's flags and timeout have been read */
    int64_t deadline;  /* from the socket timeout, for the whole call */
};

/* What wait_ready tells its caller, besides an error. */
enum {
    RETRY = 0,      /* the fd is ready: try the non-blocking attempt again */
    CALL_PLAIN = 1, /* make the plain libc call: it will not wait, or waiting means nothing */
    CALL_READY = 2, /* the file has no non-blocking attempt, and poll says it is ready */
};

static int poll_now(int fd, int events)
{
    struct pollfd p = {.fd = fd, .events = (events & GP_HUB_READ ? POLLIN : 0) |
                                           (events & GP_HUB_WRITE ? POLLOUT : 0)};
    return poll(&p, 1, 0);
}

/* signal(7): a socket call with a timeout set is never restarted after a handler. */
static enum gp_interrupt interrupt_rule(int64_t deadline)
{
    return deadline == GP_NO_DEADLINE ? GP_INTR_UNLESS_RESTART : GP_INTR_ALWAYS;
}

static int64_t socket_deadline(int fd, int opt)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0))
        return GP_NO_DEADLINE;
    return gp__deadline_after((int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000);
}

/* Called when an attempt would have blocked (attempt is -EAGAIN, or -EOPNOTSUPP when the
 * file cannot do a non-blocking attempt). Waits until the fd is ready and says RETRY; says
 * CALL_PLAIN when the plain libc call is the right thing (the program made the fd
 * non-blocking itself, or waiting for readiness means nothing for it), CALL_READY when the
 * file cannot be tried without blocking (FIFOs opened by path, terminals) but poll says it
 * is ready; or returns the error the call ends with. */
static int wait_ready(struct io_wait *w, ssize_t attempt)
{
    if (!w->checked) {
        w->checked = true;
        int flags = fcntl(w->fd, F_GETFL);
        if (flags < 0)
            return -errno;
        if (flags & O_NONBLOCK)
            return CALL_PLAIN;
        struct stat st;
        /* epoll cannot wait on regular files and block devices: they are always "ready",
         * and RWF_NOWAIT only says the data is not in the page cache yet. */
        if (fstat(w->fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
            return CALL_PLAIN;
        w->deadline = socket_deadline(w->fd, w->timeout_opt);
    }
    if (attempt == -EOPNOTSUPP && poll_now(w->fd, w->events) != 0)
        return CALL_READY;
    switch (gp__hub_wait_fd(w->fd, w->events, w->deadline, interrupt_rule(w->deadline))) {
    case GP_WAKE_CLOSED:
        return -EBADF;
    case GP_WAKE_TIMEOUT:
        return -EAGAIN;
    case GP_WAKE_INTERRUPT:
        return -EINTR;
    default:
        return RETRY;
    }
}

static bool would_block(ssize_t r) { return r == -EAGAIN || r == -EOPNOTSUPP; }

static ssize_t neg_errno(ssize_t r) { return r < 0 ? -errno : r; }

/* An iovec array consumed from the front as a transfer progresses. The caller's array is
 * const: the first partial transfer copies it. */
struct iov_cursor {
    struct iovec *iov;
    int count;
    struct iovec small[8];
    struct iovec *owned; /* malloc'd copy for long arrays, or NULL */
};

static int cursor_init(struct iov_cursor *c, const struct iovec *iov, int count)
{
    c->owned = NULL;
    c->count = count;
    if (count < 0 || count > IOV_MAX) {
        c->iov = (struct iovec *)iov; /* the kernel reports EINVAL */
        return 0;
    }
    if ((size_t)count <= sizeof c->small / sizeof c->small[0]) {
        c->iov = c->small;
    } else {
        c->iov = c->owned = malloc((size_t)count * sizeof *iov);
        if (!c->owned)
            return -ENOMEM;
    }
    memcpy(c->iov, iov, (size_t)count * sizeof *iov);
    return 0;
}

static void cursor_advance(struct iov_cursor *c, size_t n)
{
    while (c->count > 0 && n >= c->iov->iov_len) {
        n -= c->iov->iov_len;
        c->iov++;
        c->count--;
    }
    if (c->count > 0) {
        c->iov->iov_base = (char *)c->iov->iov_base + n;
        c->iov->iov_len -= n;
    }
}

static void cursor_free(struct iov_cursor *c) { free(c->owned); }

/* Copies the front of c, at most max bytes, into out (room for n entries). */
static int cursor_front(const struct iov_cursor *c, size_t max, struct iovec *out, int n)
{
    int k = 0;
    for (; k < n && k < c->count && max > 0; k++) {
        out[k] = c->iov[k];
        if (out[k].iov_len > max)
            out[k].iov_len = max;
        max -= out[k].iov_len;
    }
    return k;
}

static size_t iov_total(const struct iovec *iov, int count)
{
    size_t total = 0;
    for (int i = 0; i < count; i++)
        total += iov[i].iov_len;
    return total;
}

ssize_t gp__io_readv(int fd, const struct iovec *iov, int iovcnt)
{
    struct io_wait w = {.fd = fd, .events = GP_HUB_READ, .timeout_opt = SO_RCVTIMEO};
    for (;;) {
        ssize_t r = neg_errno(preadv2(fd, iov, iovcnt, -1, RWF_NOWAIT));
        if (!would_block(r))
            return r;
        int next = wait_ready(&w, r);
        if (next == CALL_PLAIN || next == CALL_READY) /* a read of a ready fd does not wait */
            return neg_errno(gp__real.readv(fd, iov, iovcnt));
        if (next < 0)
            return next;
    }
}

/* The blocking write contract: everything is written unless an error or the socket's send
 * timeout ends the call, in which case the bytes already written are the result. */
static ssize_t finish_write(size_t done, ssize_t err) { return done ? (ssize_t)done : err; }

ssize_t gp__io_writev(int fd, const struct iovec *iov, int iovcnt)
{
    struct io_wait w = {.fd = fd, .events = GP_HUB_WRITE, .timeout_opt = SO_SNDTIMEO};
    size_t total = iov_total(iov, iovcnt < 0 || iovcnt > IOV_MAX ? 0 : iovcnt), done = 0;
    struct iov_cursor cur;
    int r0 = cursor_init(&cur, iov, iovcnt);
    if (r0 < 0)
        return r0;
    for (;;) {
        bool last = false; /* the plain call writes all it will write */
        ssize_t r = neg_errno(pwritev2(fd, cur.iov, cur.count, -1, RWF_NOWAIT));
        if (would_block(r)) {
            int next = wait_ready(&w, r);
            if (next == RETRY)
                continue;
            if (next == CALL_READY) {
                /* A writable pipe or FIFO has room for PIPE_BUF bytes at least: a write of
                 * no more does not wait (and is atomic, as the program expects). */
                struct iovec front[8];
                r = neg_errno(gp__real.writev(fd, front, cursor_front(&cur, PIPE_BUF, front, 8)));
            } else if (next == CALL_PLAIN) {
                r = neg_errno(gp__real.writev(fd, cur.iov, cur.count));
                last = true;
            } else {
                r = next;
            }
        }
        if (r < 0) {
            cursor_free(&cur);
            return finish_write(done, r);
        }
        done += (size_t)r;
        if (done >= total || last) {
            cursor_free(&cur);
            return (ssize_t)done;
        }
        cursor_advance(&cur, (size_t)r);
    }
}

ssize_t gp__io_recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (flags & MSG_DONTWAIT)
        return neg_errno(gp__real.recvmsg(fd, msg, flags));
    struct io_wait w = {.fd = fd, .events = GP_HUB_READ, .timeout_opt = SO_RCVTIMEO};
    if (!(flags & MSG_WAITALL)) {
        for (;;) {
            ssize_t r = neg_errno(gp__real.recvmsg(fd, msg, flags | MSG_DONTWAIT));
            if (r != -EAGAIN)
                return r;
            int next = wait_ready(&w, r);
            if (next == CALL_PLAIN)
                return neg_errno(gp__real.recvmsg(fd, msg, flags));
            if (next < 0)
                return next;
        }
    }
    /* MSG_WAITALL: a blocking receive returns short only at end of stream, on an error or
     * when the receive timeout expires. */
    struct iov_cursor cur;
    int r0 = cursor_init(&cur, msg->msg_iov, (int)msg->msg_iovlen);
    if (r0 < 0)
        return r0;
    size_t total = iov_total(cur.iov, cur.count), done = 0;
    struct msghdr part = *msg;
    ssize_t result;
    for (;;) {
        part.msg_iov = cur.iov;
        part.msg_iovlen = (size_t)cur.count;
        ssize_t r = neg_errno(gp__real.recvmsg(fd, &part, flags | MSG_DONTWAIT));
        if (r > 0) {
            done += (size_t)r;
            cursor_advance(&cur, (size_t)r);
            if (done < total && !(part.msg_flags & MSG_TRUNC))
                continue;
        }
        if (r >= 0 || r != -EAGAIN) {
            result = r < 0 ? finish_write(done, r) : (ssize_t)done;
            break;
        }
        int next = wait_ready(&w, r);
        if (next == CALL_PLAIN) {
            r = neg_errno(gp__real.recvmsg(fd, &part, flags));
            result = r >= 0 ? (ssize_t)(done + (size_t)r) : finish_write(done, r);
            break;
        }
        if (next < 0) {
            result = finish_write(done, next);
            break;
        }
    }
    msg->msg_namelen = part.msg_namelen;
    msg->msg_controllen = part.msg_controllen;
    msg->msg_flags = part.msg_flags;
    cursor_free(&cur);
    return result;
}

ssize_t gp__io_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (flags & MSG_DONTWAIT)
        return neg_errno(gp__real.sendmsg(fd, msg, flags));
    struct io_wait w = {.fd = fd, .events = GP_HUB_WRITE, .timeout_opt = SO_SNDTIMEO};
    struct iov_cursor cur;
    int r0 = cursor_init(&cur, msg->msg_iov, (int)msg->msg_iovlen);
    if (r0 < 0)
        return r0;
    size_t total = iov_total(cur.iov, cur.count), done = 0;
    struct msghdr part = *msg;
    ssize_t result;
    for (;;) {
        part.msg_iov = cur.iov;
        part.msg_iovlen = (size_t)cur.count;
        ssize_t r = neg_errno(gp__real.sendmsg(fd, &part, flags | MSG_DONTWAIT));
        if (r >= 0) {
            done += (size_t)r;
            if (done >= total) {
                result = (ssize_t)done;
                break;
            }
            cursor_advance(&cur, (size_t)r);
            /* Ancillary data (SCM_RIGHTS, credentials) went with the first bytes. */
            part.msg_control = NULL;
            part.msg_controllen = 0;
            continue;
        }
        if (r != -EAGAIN) {
            result = finish_write(done, r);
            break;
        }
        int next = wait_ready(&w, r);
        if (next == CALL_PLAIN) {
            r = neg_errno(gp__real.sendmsg(fd, &part, flags));
            result = r >= 0 ? (ssize_t)(done + (size_t)r) : finish_write(done, r);
            break;
        }
        if (next < 0) {
            result = finish_write(done, next);
            break;
        }
    }
    cursor_free(&cur);
    return result;
}

int gp__io_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    if (flags & O_NONBLOCK)
        return (int)neg_errno(gp__real.connect(fd, addr, len));
    /* connect has no per-call non-blocking flag. The fd is made non-blocking for the one
     * attempt and restored before anything else can run: no other green thread ever sees
     * the flag, and the kernel finishes the connection in the background. */
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return (int)neg_errno(gp__real.connect(fd, addr, len));
    int r = (int)neg_errno(gp__real.connect(fd, addr, len));
    fcntl(fd, F_SETFL, flags);
    if (r == -EAGAIN) /* a full unix-socket backlog: nothing to poll for */
        return (int)neg_errno(gp__real.connect(fd, addr, len));
    /* EALREADY: an earlier connect was interrupted; a blocking one waits for it too. */
    if (r != -EINPROGRESS && r != -EALREADY)
        return r;
    int64_t deadline = socket_deadline(fd, SO_SNDTIMEO);
    switch (gp__hub_wait_fd(fd, GP_HUB_WRITE, deadline, interrupt_rule(deadline))) {
    case GP_WAKE_CLOSED:
        return -EBADF;
    case GP_WAKE_INTERRUPT:
        return -EINTR; /* the connection goes on in the background, as natively */
    case GP_WAKE_TIMEOUT:
        return -EINPROGRESS; /* what Linux returns when SO_SNDTIMEO ends a connect */
    default:
        break;
    }
    /* Ask the kernel for the outcome with connect itself rather than SO_ERROR: that also
     * moves the socket to "connected", so a later connect says EISCONN as natively. The
     * connection is established or failed now, so this call does not block. */
    return (int)neg_errno(gp__real.connect(fd, addr, len));
}

int gp__io_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool use_accept4)
{
    /* accept has no per-call non-blocking flag either, and the listening socket may be
     * shared with other processes (prefork servers): readiness is checked with poll, and
     * the fd's flags are never changed. */
    struct io_wait w = {.fd = fd, .events = GP_HUB_READ, .timeout_opt = SO_RCVTIMEO};
    for (;;) {
        if (poll_now(fd, GP_HUB_READ) != 0)
            break;
        int next = wait_ready(&w, -EAGAIN);
        if (next == CALL_PLAIN)
            break;
        if (next < 0)
            return next;
    }
    return (int)neg_errno(use_accept4 ? gp__real.accept4(fd, addr, len, flags)
                                      : gp__real.accept(fd, addr, len));
}

int gp__io_close(int fd)
{
    gp__hub_fd_closing(fd);
    return (int)neg_errno(gp__real.close(fd));
}
