/* See io.h.
 *
 * Every data transfer is built from one step, transfer_once: try without blocking, and if
 * that would block, wait on the hub as the blocking call would have waited in the kernel.
 * Reads return after one step (or gather more where a blocking read would: MSG_WAITALL on
 * a stream socket, a regular file read short of its page cache); writes repeat steps
 * until everything is written, as a blocking write does. */
#include "io.h"

#include "clock.h"
#include "config.h"
#include "fdio.h"
#include "file.h"
#include "hub.h"
#include "log.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* After this many readiness reports that the attempt contradicts, waits back off. */
enum { IDLE_WAKES_BEFORE_BACKOFF = 3, BACKOFF_DOUBLINGS = 5 };
#define BACKOFF_FIRST_NS 1000000 /* 1 ms, doubling up to 32 ms */

/* What wait_ready tells its caller, besides an error. */
enum {
    RETRY = 0,      /* the fd is ready: try the non-blocking attempt again */
    CALL_PLAIN = 1, /* make the plain libc call: it will not wait, or waiting means nothing */
    CALL_READY = 2, /* the file has no non-blocking attempt, and poll says it is ready */
    CALL_DISK = 3,  /* a file on a disk: nothing to wait for, the call itself may wait */
};

static ssize_t neg_errno(ssize_t r) { return r < 0 ? -errno : r; }

static int poll_now(int fd, int events)
{
    struct pollfd p = {.fd = fd, .events = (events & GP_HUB_READ ? POLLIN : 0) |
                                           (events & GP_HUB_WRITE ? POLLOUT : 0)};
    return gp__real.poll(&p, 1, 0);
}

/* signal(7): a socket call with a timeout set is never restarted after a handler. */
static enum gp_interrupt interrupt_rule(int64_t deadline)
{
    return deadline == GP_NO_DEADLINE ? GP_INTR_UNLESS_RESTART : GP_INTR_ALWAYS;
}

/* The deadline that the socket's own timeout (opt) sets for this call. Returns false when
 * fd is not a socket. */
static bool socket_deadline(int fd, int opt, int64_t *deadline)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0) {
        *deadline = GP_NO_DEADLINE;
        return false;
    }
    *deadline = tv.tv_sec == 0 && tv.tv_usec == 0
                    ? GP_NO_DEADLINE
                    : gp__deadline_after((int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000);
    return true;
}

/* epoll cannot wait on regular files and block devices: they are always "ready", and
 * RWF_NOWAIT only says that the data is not in the page cache. (O_NONBLOCK means nothing
 * to them either: such a read waits for the disk all the same.) */
static bool disk_file(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* Called when an attempt would have blocked (attempt is -EAGAIN, or -EOPNOTSUPP when the
 * file cannot do a non-blocking attempt; file_attempt: it was RWF_NOWAIT). Waits until the fd is ready and says RETRY; says
 * CALL_PLAIN when the plain libc call is the right thing (the program made the fd
 * non-blocking itself), CALL_DISK for a file on a disk, where waiting for readiness means
 * nothing, CALL_READY when the file cannot be tried without blocking (FIFOs opened by path,
 * terminals) but poll says it is ready; or returns the error the call ends with. */
static int wait_ready(struct gp_io_wait *w, ssize_t attempt, bool file_attempt)
{
    if (!w->checked) {
        w->checked = true;
        w->status_flags = gp__real.fcntl(w->fd, F_GETFL);
        if (w->status_flags < 0)
            return -errno;
        if (w->status_flags & O_NONBLOCK)
            return file_attempt && disk_file(w->fd) ? (w->disk = true, CALL_DISK) : CALL_PLAIN;
        /* Sockets can all try RWF_NOWAIT: one that cannot is no socket (and has no socket
         * timeout to read). */
        bool socket =
            attempt != -EOPNOTSUPP && socket_deadline(w->fd, w->timeout_opt, &w->deadline);
        if (!socket)
            w->deadline = GP_NO_DEADLINE;
        w->disk = !socket && disk_file(w->fd);
    }
    if (w->disk)
        return CALL_DISK;
    if (attempt == -EOPNOTSUPP && poll_now(w->fd, w->events) != 0)
        return CALL_READY;
    enum gp_wake why;
    /* The timeout scope (timeout.h) bounds the wait; the socket's own timeout alone says
     * whether a handler restarts it. */
    int64_t deadline = gp__timeout_bound(w->deadline);
    if (w->woke_ready && ++w->idle_wakes >= IDLE_WAKES_BEFORE_BACKOFF) {
        /* The fd keeps saying "ready" and the call keeps saying "would block": an
         * unconnected unix datagram socket whose peer's queue is full is always writable
         * to poll. Nothing will report the change: try again after a growing pause. */
        int shift = w->idle_wakes - IDLE_WAKES_BEFORE_BACKOFF;
        int64_t pause = BACKOFF_FIRST_NS << (shift < BACKOFF_DOUBLINGS ? shift : BACKOFF_DOUBLINGS);
        int64_t until = gp__deadline_after(pause);
        why = gp__hub_park_until(until < deadline ? until : deadline,
                                 interrupt_rule(w->deadline));
        if (why == GP_WAKE_TIMEOUT && gp__now_ns() < deadline)
            why = GP_WAKE_READY;
    } else {
        why = gp__hub_wait_fd(w->fd, w->events, deadline, interrupt_rule(w->deadline));
    }
    w->woke_ready = why == GP_WAKE_READY;
    switch (why) {
    case GP_WAKE_CLOSED:
        return -EBADF;
    case GP_WAKE_TIMEOUT:
        return gp__timeout_error(w->deadline, -EAGAIN);
    case GP_WAKE_INTERRUPT:
        return -EINTR;
    default:
        return RETRY;
    }
}

/* An iovec array consumed from the front as a transfer progresses. It is the caller's
 * (const) array until the first partial transfer, which copies it. */
struct iov_cursor {
    struct iovec *iov;
    int count;
    size_t left;          /* bytes not yet transferred */
    struct iovec *copy;   /* small or heap once copied, else NULL */
    struct iovec small[8];
};

static void cursor_init(struct iov_cursor *c, const struct iovec *iov, int count)
{
    c->iov = (struct iovec *)iov;
    c->count = count;
    c->copy = NULL;
    c->left = 0;
    if (count < 0 || count > IOV_MAX)
        return; /* the kernel reports EINVAL on the first attempt */
    for (int i = 0; i < count; i++)
        c->left += iov[i].iov_len;
}

static int cursor_advance(struct iov_cursor *c, size_t n)
{
    if (!c->copy) {
        size_t bytes = (size_t)c->count * sizeof *c->iov;
        c->copy = (size_t)c->count <= sizeof c->small / sizeof c->small[0] ? c->small : malloc(bytes);
        if (!c->copy)
            return -ENOMEM;
        memcpy(c->copy, c->iov, bytes);
        c->iov = c->copy;
    }
    c->left -= n < c->left ? n : c->left;
    while (c->count > 0 && n >= c->iov->iov_len) {
        n -= c->iov->iov_len;
        c->iov++;
        c->count--;
    }
    if (c->count > 0) {
        c->iov->iov_base = (char *)c->iov->iov_base + n;
        c->iov->iov_len -= n;
    }
    return 0;
}

static void cursor_free(struct iov_cursor *c)
{
    if (c->copy != c->small)
        free(c->copy);
}

/* Which plain call a read or write stands for. */
enum io_form {
    FORM_VECTOR,     /* read, readv, write, writev: at the file position */
    FORM_POSITIONED, /* pread, preadv, pwrite, pwritev: at offset */
    FORM_FLAGS,      /* preadv2, pwritev2: at offset (-1: the file position), with rwf */
};

/* One kind of transfer: how to attempt it without blocking, and how to make the plain
 * call. */
struct io_op {
    struct gp_io_wait wait;
    ssize_t (*call)(struct io_op *op, struct iovec *iov, int count, bool nowait);
    bool writes;         /* a write: after CALL_READY, at most PIPE_BUF bytes per call */
    bool file_attempt;   /* the last attempt was RWF_NOWAIT, whose EOPNOTSUPP means
                          * "this file cannot try without blocking" */
    struct msghdr *msg;  /* sockets: the caller's message (name, control, flags) */
    int flags;           /* sockets: the caller's flags */
    int parts;           /* transfers made so far */
    bool not_socket;     /* read: no socket receive stands for it (the fd said ENOTSOCK
                          * to one, or the call takes an offset or flags) */
    enum io_form form;   /* read and write */
    off_t offset;        /* FORM_POSITIONED, FORM_FLAGS: where the next part goes (-1 for
                          * FORM_FLAGS: the file position) */
    int rwf;             /* FORM_FLAGS: the caller's RWF_* flags */
};

/* GREENPATCH_FILE_IO=pool sends even the page cache's hits to the pool: no attempt. */
static bool pool_every_disk_call(int fd)
{
    return gp__config.file_io == GP_FILE_IO_POOL && disk_file(fd);
}

/* Where the op reads or writes next, as preadv2 takes it. */
static off_t position(const struct io_op *op) { return op->form == FORM_VECTOR ? -1 : op->offset; }

/* A read or write attempt without blocking at the op's place: RWF_NOWAIT. */
static ssize_t file_attempt(struct io_op *op, struct iovec *iov, int count)
{
    int fd = op->wait.fd;
    op->file_attempt = true;
    if (pool_every_disk_call(fd))
        return -EAGAIN;
    int rwf = op->rwf | RWF_NOWAIT;
    return neg_errno(op->writes ? gp__real.pwritev2(fd, iov, count, position(op), rwf)
                                : gp__real.preadv2(fd, iov, count, position(op), rwf));
}

/* The plain call the op stands for, which waits as long as it has to. */
static ssize_t plain_call(struct io_op *op, struct iovec *iov, int count)
{
    int fd = op->wait.fd;
    switch (op->form) {
    case FORM_POSITIONED:
        return neg_errno(op->writes ? gp__real.pwritev(fd, iov, count, op->offset)
                                    : gp__real.preadv(fd, iov, count, op->offset));
    case FORM_FLAGS:
        return neg_errno(op->writes ? gp__real.pwritev2(fd, iov, count, op->offset, op->rwf)
                                    : gp__real.preadv2(fd, iov, count, op->offset, op->rwf));
    default:
        return neg_errno(op->writes ? gp__real.writev(fd, iov, count)
                                    : gp__real.readv(fd, iov, count));
    }
}

/* read on a socket is a receive without flags (recv(2)); tried as one first, it needs no
 * check of the file type after a short read, which is the usual read on a socket. */
static ssize_t call_readv(struct io_op *op, struct iovec *iov, int count, bool nowait)
{
    if (!nowait)
        return plain_call(op, iov, count);
    if (!op->not_socket) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t r = neg_errno(gp__real.recvmsg(op->wait.fd, &m, MSG_DONTWAIT));
        if (r != -ENOTSOCK)
            return r;
        op->not_socket = true;
    }
    return file_attempt(op, iov, count);
}

static ssize_t call_writev(struct io_op *op, struct iovec *iov, int count, bool nowait)
{
    op->file_attempt = false;
    return nowait ? file_attempt(op, iov, count) : plain_call(op, iov, count);
}

/* The caller's message with iov as its data. After the first part of a gathered transfer,
 * the address and the ancillary data have gone (sent) or arrived (received) already. */
static struct msghdr message_part(const struct io_op *op, struct iovec *iov, int count)
{
    struct msghdr m = *op->msg;
    m.msg_iov = iov;
    m.msg_iovlen = (size_t)count;
    if (op->parts > 0) {
        m.msg_name = NULL;
        m.msg_namelen = 0;
        m.msg_control = NULL;
        m.msg_controllen = 0;
    }
    return m;
}

static ssize_t call_recvmsg(struct io_op *op, struct iovec *iov, int count, bool nowait)
{
    struct msghdr m = message_part(op, iov, count);
    ssize_t r = neg_errno(gp__real.recvmsg(op->wait.fd, &m, op->flags | (nowait ? MSG_DONTWAIT : 0)));
    if (r >= 0 && op->parts == 0) {
        op->msg->msg_namelen = m.msg_namelen;
        op->msg->msg_controllen = m.msg_controllen;
        op->msg->msg_flags = m.msg_flags;
    }
    return r;
}

static ssize_t call_sendmsg(struct io_op *op, struct iovec *iov, int count, bool nowait)
{
    struct msghdr m = message_part(op, iov, count);
    return neg_errno(gp__real.sendmsg(op->wait.fd, &m, op->flags | (nowait ? MSG_DONTWAIT : 0)));
}

/* A plain write of the first PIPE_BUF bytes of iov: a writable pipe or FIFO has room for
 * that much at least, so it does not wait (and a write of no more stays atomic, as the
 * program expects). */
static ssize_t write_pipe_buf_front(struct io_op *op, struct iovec *iov, int count)
{
    struct iovec small[8], *front = small;
    if (count > 8 && !(front = malloc((size_t)count * sizeof *front)))
        return -ENOMEM;
    int n = 0;
    size_t room = PIPE_BUF;
    for (int i = 0; i < count && room > 0; i++) {
        if (iov[i].iov_len == 0)
            continue;
        front[n] = iov[i];
        if (front[n].iov_len > room)
            front[n].iov_len = room;
        room -= front[n++].iov_len;
    }
    ssize_t r = op->call(op, front, n, false);
    if (front != small)
        free(front);
    return r;
}

/* A socket error or hang-up that the next attempt would consume: after some bytes have
 * moved, the kernel ends a blocking call with the count and leaves the error for the next
 * call (which then sees ECONNRESET, or EPIPE with SIGPIPE). */
static bool error_waiting(int fd, bool writes)
{
    struct pollfd p = {.fd = fd};
    return gp__real.poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | (writes ? POLLHUP : 0)));
}

bool gp__io_error_pending(int fd, bool writes) { return error_waiting(fd, writes); }

int gp__io_wait(struct gp_io_wait *w)
{
    int next = wait_ready(w, -EAGAIN, false);
    return next == CALL_PLAIN ? 1 : next;
}

/* Whether a transfer on a disk file whose attempt said attempt goes to the pool. auto:
 * what the kernel says would wait (EAGAIN) and what waits for the device by design (writes
 * on O_SYNC, O_DSYNC or O_DIRECT files, RWF_SYNC and RWF_DSYNC); a file that cannot
 * tell (EOPNOTSUPP) is read in the pool unless it lives in memory or the page cache is seen
 * to hold the data (file.h), and written to the page cache inline (ext4 and most others
 * cannot try a buffered write without blocking). */
static bool disk_call_in_pool(const struct io_op *op, const struct iovec *iov, int count,
                              ssize_t attempt)
{
    switch (gp__config.file_io) {
    case GP_FILE_IO_INLINE:
        return false;
    case GP_FILE_IO_POOL:
        return true;
    default:
        break;
    }
    if (op->writes && ((op->wait.status_flags & (O_DSYNC | O_DIRECT)) ||
                       (op->form == FORM_FLAGS && (op->rwf & (RWF_SYNC | RWF_DSYNC)))))
        return true;
    if (attempt == -EAGAIN)
        return true;
    if (op->writes)
        return false;
    size_t length = 0;
    for (int i = 0; i < count; i++)
        length += iov[i].iov_len;
    return !gp__file_read_cached(op->wait.fd, position(op), length);
}

/* A plain call handed to the pool; lives on the parked caller's stack. */
struct pooled_call {
    struct io_op *op;
    struct iovec *iov;
    int count;
};

static long run_pooled_call(void *p)
{
    struct pooled_call *c = p;
    return c->op->call(c->op, c->iov, c->count, false);
}

static ssize_t disk_call(struct io_op *op, struct iovec *iov, int count, ssize_t attempt)
{
    bool in_pool = disk_call_in_pool(op, iov, count, attempt);
    gp__log_debug("file I/O: a %s of fd %d runs %s (GREENPATCH_FILE_IO=%s%s)",
                  op->writes ? "write" : "read", op->wait.fd,
                  in_pool ? "in the pool" : "inline",
                  gp__config.file_io == GP_FILE_IO_AUTO     ? "auto"
                  : gp__config.file_io == GP_FILE_IO_INLINE ? "inline"
                                                            : "pool",
                  gp__config.file_io != GP_FILE_IO_AUTO ? ""
                  : in_pool ? ": not in the page cache, or a synchronous write"
                            : ": in the page cache, or a buffered write");
    if (!in_pool)
        return op->call(op, iov, count, false);
    struct pooled_call c = {.op = op, .iov = iov, .count = count};
    return gp__pool_call(run_pooled_call, &c);
}

/* One transfer, waiting as the blocking call would until it moves something or fails.
 * After earlier parts of the same call moved bytes (moved), a pending error ends it with
 * 0: the caller returns the count and leaves the error to the program's next call. */
static ssize_t transfer_once(struct io_op *op, struct iovec *iov, int count, bool moved)
{
    for (;;) {
        if (moved && error_waiting(op->wait.fd, op->writes))
            return 0;
        op->file_attempt = false;
        ssize_t r = op->call(op, iov, count, true);
        if (r != -EAGAIN && !(r == -EOPNOTSUPP && op->file_attempt))
            return r;
        int next = wait_ready(&op->wait, r, op->file_attempt);
        if (next == CALL_DISK)
            return disk_call(op, iov, count, r);
        if (next == CALL_READY && op->writes)
            return write_pipe_buf_front(op, iov, count);
        if (next == CALL_PLAIN || next == CALL_READY) /* a read of a ready fd does not wait */
            return op->call(op, iov, count, false);
        if (next < 0)
            return next;
    }
}

/* Transfers until the cursor is consumed, as a blocking write does (and a blocking read
 * where it gathers). An error or a timeout after some bytes ends the call with the bytes
 * moved so far, as natively; a read that meets end of file stops there. */
static ssize_t transfer_all(struct io_op *op, struct iov_cursor *c, size_t done)
{
    do {
        ssize_t r = transfer_once(op, c->iov, c->count, done > 0);
        op->parts++;
        if (r <= 0)
            return done ? (ssize_t)done : r;
        done += (size_t)r;
        if (position(op) >= 0)
            op->offset += r;
        if (cursor_advance(c, (size_t)r) < 0)
            return (ssize_t)done;
    } while (c->left > 0);
    return (ssize_t)done;
}

static ssize_t read_op(struct io_op op, const struct iovec *iov, int iovcnt)
{
    int fd = op.wait.fd;
    struct iov_cursor c;
    cursor_init(&c, iov, iovcnt);
    /* A read of nothing: the kernel answers at once (0, or EINVAL, EBADF), and an attempt
     * through a socket receive would take a waiting datagram with it. */
    if (c.left == 0)
        return plain_call(&op, (struct iovec *)iov, iovcnt);
    ssize_t r = transfer_once(&op, c.iov, c.count, false);
    op.parts = 1;
    if (r > 0 && position(&op) >= 0)
        op.offset += r;
    /* RWF_NOWAIT stops a regular file's read where its page cache ends; natively the read
     * goes on to the end of the request (or of the file). */
    if (r > 0 && (size_t)r < c.left && op.not_socket && disk_file(fd) &&
        cursor_advance(&c, (size_t)r) == 0)
        r = transfer_all(&op, &c, (size_t)r);
    cursor_free(&c);
    return r;
}

static ssize_t write_op(struct io_op op, const struct iovec *iov, int iovcnt)
{
    struct iov_cursor c;
    cursor_init(&c, iov, iovcnt);
    ssize_t r = transfer_all(&op, &c, 0);
    cursor_free(&c);
    return r;
}

/* The op of a read (or write) call of the given form. The calls that take an offset are
 * no socket receives: pread on a socket fails with ESPIPE, which the attempt reports. */
static struct io_op file_op(int fd, bool writes, enum io_form form, off_t offset, int rwf)
{
    return (struct io_op){
        .wait = {.fd = fd, .events = writes ? GP_HUB_WRITE : GP_HUB_READ,
                 .timeout_opt = writes ? SO_SNDTIMEO : SO_RCVTIMEO},
        .call = writes ? call_writev : call_readv, .writes = writes,
        .not_socket = form != FORM_VECTOR, .form = form, .offset = offset, .rwf = rwf};
}

/* The RWF_* flags whose meaning the attempt and the wait are made for (glibc 2.36's). */
enum { KNOWN_RWF = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND };

/* What the plain call answers at once: a negative offset (EINVAL), the caller's own
 * RWF_NOWAIT, and flags this code does not know (the kernel's EOPNOTSUPP for one it does
 * not know either, which an attempt could not tell from "no RWF_NOWAIT here"). */
static bool plain_at_once(enum io_form form, off_t offset, int rwf)
{
    return (form == FORM_POSITIONED && offset < 0) || (rwf & ~KNOWN_RWF);
}

/* A read of 0 bytes is answered at once by the plain call (0, or the file's own error:
 * EINVAL from an eventfd), and takes nothing: an attempt through a socket receive would
 * take a waiting datagram with it. */
ssize_t gp__io_read(int fd, void *buf, size_t count)
{
    if (count == 0)
        return neg_errno(gp__real.read(fd, buf, 0));
    struct iovec iov = {.iov_base = buf, .iov_len = count};
    return gp__io_readv(fd, &iov, 1);
}

ssize_t gp__io_readv(int fd, const struct iovec *iov, int iovcnt)
{
    return read_op(file_op(fd, false, FORM_VECTOR, 0, 0), iov, iovcnt);
}

ssize_t gp__io_writev(int fd, const struct iovec *iov, int iovcnt)
{
    return write_op(file_op(fd, true, FORM_VECTOR, 0, 0), iov, iovcnt);
}

static ssize_t positioned_op(int fd, bool writes, const struct iovec *iov, int iovcnt,
                             off_t offset, int rwf, bool with_flags)
{
    struct io_op op = file_op(fd, writes, with_flags ? FORM_FLAGS : FORM_POSITIONED, offset, rwf);
    if (plain_at_once(op.form, offset, rwf))
        return plain_call(&op, (struct iovec *)iov, iovcnt);
    return writes ? write_op(op, iov, iovcnt) : read_op(op, iov, iovcnt);
}

ssize_t gp__io_preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset, int rwf,
                      bool with_flags)
{
    return positioned_op(fd, false, iov, iovcnt, offset, rwf, with_flags);
}

ssize_t gp__io_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset, int rwf,
                       bool with_flags)
{
    return positioned_op(fd, true, iov, iovcnt, offset, rwf, with_flags);
}

/* Flags that make a receive or send return at once natively: the plain call is the answer.
 * (MSG_ERRQUEUE reads the error queue, which poll does not report as readable; MSG_OOB
 * fails at once when no urgent data is there.) */
enum { PASS_THROUGH_FLAGS = MSG_DONTWAIT | MSG_ERRQUEUE | MSG_OOB };

static bool stream_socket(int fd)
{
    int type;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

ssize_t gp__io_recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (flags & PASS_THROUGH_FLAGS)
        return neg_errno(gp__real.recvmsg(fd, msg, flags));
    struct io_op op = {.wait = {.fd = fd, .events = GP_HUB_READ, .timeout_opt = SO_RCVTIMEO},
                       .call = call_recvmsg, .msg = msg, .flags = flags};
    struct iov_cursor c;
    cursor_init(&c, msg->msg_iov, (int)msg->msg_iovlen);
    ssize_t r = transfer_once(&op, c.iov, c.count, false);
    op.parts = 1;
    /* MSG_WAITALL: a blocking receive on a stream socket returns short only at end of
     * stream, on an error or a signal, or when the receive timeout expires. Datagrams and
     * peeks are one transfer. */
    if (r > 0 && (size_t)r < c.left && (flags & MSG_WAITALL) && !(flags & MSG_PEEK) &&
        stream_socket(fd) && cursor_advance(&c, (size_t)r) == 0)
        r = transfer_all(&op, &c, (size_t)r);
    cursor_free(&c);
    return r;
}

ssize_t gp__io_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (flags & PASS_THROUGH_FLAGS)
        return neg_errno(gp__real.sendmsg(fd, msg, flags));
    struct msghdr caller = *msg;
    struct io_op op = {.wait = {.fd = fd, .events = GP_HUB_WRITE, .timeout_opt = SO_SNDTIMEO},
                       .call = call_sendmsg, .writes = true, .msg = &caller, .flags = flags};
    struct iov_cursor c;
    cursor_init(&c, msg->msg_iov, (int)msg->msg_iovlen);
    ssize_t r = transfer_all(&op, &c, 0);
    cursor_free(&c);
    return r;
}

/* A connect attempt with the fd made non-blocking for that one call. connect has no
 * per-call non-blocking flag; the flag is restored before anything else can run, so no
 * other green thread ever sees it, and the kernel goes on with the connection. */
static int connect_attempt(int fd, int flags, const struct sockaddr *addr, socklen_t len)
{
    if (gp__real.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    int r = (int)neg_errno(gp__real.connect(fd, addr, len));
    gp__real.fcntl(fd, F_SETFL, flags);
    return r;
}

/* How often a connect to a unix socket whose backlog is full tries again: there is
 * nothing to poll for until the server accepts. */
#define FULL_BACKLOG_RETRY_NS 1000000

int gp__io_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    int flags = gp__real.fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    if (flags & O_NONBLOCK)
        return (int)neg_errno(gp__real.connect(fd, addr, len));
    int64_t own;
    socket_deadline(fd, SO_SNDTIMEO, &own);
    enum gp_interrupt intr = interrupt_rule(own);
    int64_t deadline = gp__timeout_bound(own); /* the timeout scope's, when earlier */
    int r;
    while ((r = connect_attempt(fd, flags, addr, len)) == -EAGAIN) {
        int64_t retry = gp__deadline_after(FULL_BACKLOG_RETRY_NS);
        enum gp_wake why = gp__hub_park_until(retry < deadline ? retry : deadline, intr);
        if (why == GP_WAKE_INTERRUPT)
            return -EINTR;
        if (gp__now_ns() >= deadline) /* SO_SNDTIMEO ended the wait for room in the backlog */
            return gp__timeout_error(own, -EAGAIN);
    }
    /* EALREADY: an earlier connect was interrupted; a blocking one waits for it too. */
    if (r != -EINPROGRESS && r != -EALREADY)
        return r;
    switch (gp__hub_wait_fd(fd, GP_HUB_WRITE, deadline, intr)) {
    case GP_WAKE_CLOSED:
        return -EBADF;
    case GP_WAKE_INTERRUPT:
        return -EINTR; /* the connection goes on in the background, as natively */
    case GP_WAKE_TIMEOUT:
        /* What Linux returns when SO_SNDTIMEO ends a connect; the connection goes on in
         * the background either way. */
        return gp__timeout_error(own, -EINPROGRESS);
    default:
        break;
    }
    /* Ask the kernel for the outcome with connect itself rather than SO_ERROR: that also
     * moves the socket to "connected", so a later connect says EISCONN as natively. The
     * connection is established or failed now, so this call does not block. */
    return (int)neg_errno(gp__real.connect(fd, addr, len));
}

/* accept on something that is not a listening socket fails at once natively. */
static bool listening_socket(int fd)
{
    int listening = 0;
    socklen_t len = sizeof listening;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
}

int gp__io_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool use_accept4)
{
    /* accept has no per-call non-blocking flag either, and the listening socket may be
     * shared with other processes (prefork servers): readiness is checked with poll, and
     * the fd's flags are never changed. Bad flags and non-listening fds get the kernel's
     * answer at once. */
    struct gp_io_wait w = {.fd = fd, .events = GP_HUB_READ, .timeout_opt = SO_RCVTIMEO};
    bool valid = !(flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC));
    while (valid && poll_now(fd, GP_HUB_READ) == 0) {
        if (!w.checked && !listening_socket(fd))
            break;
        int next = wait_ready(&w, -EAGAIN, false);
        if (next == CALL_PLAIN)
            break;
        if (next < 0)
            return next;
    }
    return (int)neg_errno(use_accept4 ? gp__real.accept4(fd, addr, len, flags)
                                      : gp__real.accept(fd, addr, len));
}

int gp__io_wait_ready(int fd, int events)
{
    struct gp_io_wait w = {.fd = fd, .events = events,
                           .timeout_opt = events & GP_HUB_READ ? SO_RCVTIMEO : SO_SNDTIMEO};
    /* poll answers for every kind of file (a bad fd too: POLLNVAL, and the plain call says
     * EBADF); after a wake it is asked again, as another reader may have taken the data. */
    while (poll_now(fd, events) == 0) {
        int next = wait_ready(&w, -EAGAIN, false);
        if (next < 0)
            return next;
        if (next != RETRY)
            return 0;
    }
    return 0;
}

int gp__io_close(int fd)
{
    gp__hub_fd_closing(fd);
    gp__fdio_linger(fd);
    return (int)neg_errno(gp__real.close(fd));
}
