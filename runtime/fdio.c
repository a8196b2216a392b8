/* See fdio.h. */
#include "fdio.h"

#include "clock.h"
#include "hub.h"
#include "io.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t neg_errno(ssize_t r) { return r < 0 ? -errno : r; }

static bool ready_now(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    return gp__real.poll(&p, 1, 0) == 1;
}

/* Waits that find nothing to watch (a FIFO's other end, acknowledgements) look again after
 * a pause that doubles from 1 ms up to 32 ms. */
#define PAUSE_FIRST_NS 1000000
#define PAUSE_MAX_NS 32000000

static int64_t next_pause(int64_t *pause) { return gp__backoff_step(pause, PAUSE_MAX_NS); }

/* ---- sendfile, splice, tee ---- */

/* One end of a transfer between two fds. */
struct side {
    int fd;
    int flags;    /* its file status flags, as the program set them */
    bool pipe;    /* a pipe or FIFO */
    bool waits;   /* a pipe, FIFO or socket: the call may wait for it */
    bool toggled; /* made non-blocking with O_NONBLOCK for each attempt */
    struct gp_io_wait wait;
};

/* A sendfile, splice or tee in progress. */
struct transfer {
    struct side in, out;
    ssize_t (*call)(struct transfer *t, size_t len); /* one non-blocking attempt */
    bool (*goes_on)(struct transfer *t);             /* after a short count */
    off_t *off_in, *off_out;
    unsigned flags;
};

/* Reads what fd is. Returns false when the plain call is the answer: the program made fd
 * non-blocking itself, fd is not something that waits for readiness, a terminal or other
 * device (beyond this module: the plain call may wait in the kernel), or not open (the
 * plain call fails as it should). toggle_pipe: a pipe end is made non-blocking with
 * O_NONBLOCK rather than SPLICE_F_NONBLOCK. */
static bool side_init(struct side *s, int fd, int events, int timeout_opt, bool toggle_pipe)
{
    struct stat st;
    s->fd = fd;
    if ((s->flags = fcntl(fd, F_GETFL)) < 0 || fstat(fd, &st) < 0 || (s->flags & O_NONBLOCK))
        return false;
    bool sock = S_ISSOCK(st.st_mode);
    s->pipe = S_ISFIFO(st.st_mode);
    s->waits = s->pipe || sock;
    s->toggled = sock || (s->pipe && toggle_pipe);
    s->wait = (struct gp_io_wait){.fd = fd, .events = events, .timeout_opt = timeout_opt};
    return s->waits || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
}

static void set_nonblocking(const struct side *s, bool on)
{
    if (s->toggled)
        fcntl(s->fd, F_SETFL, on ? s->flags | O_NONBLOCK : s->flags);
}

/* The flag is set for this attempt only and cleared before anything else can run, so no
 * other green thread sees it (as connect does, io.c). */
static ssize_t attempt(struct transfer *t, size_t len)
{
    set_nonblocking(&t->in, true);
    set_nonblocking(&t->out, true);
    ssize_t r = t->call(t, len);
    set_nonblocking(&t->out, false);
    set_nonblocking(&t->in, false);
    return r;
}

/* Waits for the side that is not ready, as the blocking call would. */
static int wait_for_a_side(struct transfer *t)
{
    struct side *s = t->in.waits && !ready_now(t->in.fd, POLLIN) ? &t->in : &t->out;
    int r = gp__io_wait(&s->wait);
    return r == 1 ? -EAGAIN : r;
}

/* Attempts until something moves (or, while goes_on says so, until len has), waiting on
 * the hub in between. After a count, an error or a timeout ends the call with that
 * count, as natively. */
static ssize_t transfer(struct transfer *t, size_t len)
{
    size_t done = 0;
    for (;;) {
        if (done > 0 && gp__io_error_pending(t->out.fd, true))
            return (ssize_t)done;
        ssize_t r = attempt(t, len - done);
        if (r > 0) {
            done += (size_t)r;
            if (done == len || !t->goes_on(t))
                return (ssize_t)done;
            continue;
        }
        if (r == 0)
            return (ssize_t)done;
        if (r == -EAGAIN)
            r = wait_for_a_side(t);
        if (r < 0)
            return done ? (ssize_t)done : r;
    }
}

static bool never(struct transfer *t)
{
    (void)t;
    return false;
}

/* Into a socket a blocking sendfile sends everything (up to the end of the input); into a
 * pipe it waits for room once and fills what there is. */
static bool into_a_socket(struct transfer *t) { return !t->out.pipe; }

static ssize_t call_sendfile(struct transfer *t, size_t len)
{
    return neg_errno(gp__real.sendfile(t->out.fd, t->in.fd, t->off_in, len));
}

/* Linux caps one read or write, sendfile included, at MAX_RW_COUNT. */
#define MAX_RW_COUNT ((size_t)INT_MAX & ~(size_t)4095)

ssize_t gp__fdio_sendfile(int out, int in, off_t *offset, size_t count)
{
    /* The input is a file; the output waits, and is made non-blocking for each attempt, a
     * pipe too (sendfile has no per-call flag). */
    struct transfer t = {.call = call_sendfile, .goes_on = into_a_socket, .off_in = offset,
                         .in = {.fd = in}};
    if (count == 0 || !side_init(&t.out, out, GP_HUB_WRITE, SO_SNDTIMEO, true) || !t.out.waits)
        return neg_errno(gp__real.sendfile(out, in, offset, count));
    return transfer(&t, count < MAX_RW_COUNT ? count : MAX_RW_COUNT);
}

static ssize_t call_splice(struct transfer *t, size_t len)
{
    return neg_errno(gp__real.splice(t->in.fd, t->off_in, t->out.fd, t->off_out, len,
                                     t->flags | SPLICE_F_NONBLOCK));
}

/* From a pipe into a socket a blocking splice waits for room in the socket and goes on
 * until the pipe is empty (or len is spliced); the other directions return what one pass
 * moved. */
static bool pipe_to_socket_goes_on(struct transfer *t)
{
    return t->in.pipe && t->out.toggled && ready_now(t->in.fd, POLLIN);
}

ssize_t gp__fdio_splice(int in, off_t *off_in, int out, off_t *off_out, size_t len,
                        unsigned flags)
{
    struct transfer t = {.call = call_splice, .goes_on = pipe_to_socket_goes_on,
                         .off_in = off_in, .off_out = off_out, .flags = flags};
    /* SPLICE_F_NONBLOCK or an O_NONBLOCK end: the program chose not to wait (a socket end
     * without O_NONBLOCK may still wait in the kernel, as natively). */
    if ((flags & SPLICE_F_NONBLOCK) || !side_init(&t.in, in, GP_HUB_READ, SO_RCVTIMEO, false) ||
        !side_init(&t.out, out, GP_HUB_WRITE, SO_SNDTIMEO, false) || len == 0)
        return neg_errno(gp__real.splice(in, off_in, out, off_out, len, flags));
    return transfer(&t, len);
}

static ssize_t call_tee(struct transfer *t, size_t len)
{
    return neg_errno(gp__real.tee(t->in.fd, t->out.fd, len, t->flags | SPLICE_F_NONBLOCK));
}

ssize_t gp__fdio_tee(int in, int out, size_t len, unsigned flags)
{
    struct transfer t = {.call = call_tee, .goes_on = never, .flags = flags};
    if ((flags & SPLICE_F_NONBLOCK) || !side_init(&t.in, in, GP_HUB_READ, 0, false) ||
        !side_init(&t.out, out, GP_HUB_WRITE, 0, false) || len == 0)
        return neg_errno(gp__real.tee(in, out, len, flags));
    return transfer(&t, len);
}

ssize_t gp__fdio_vmsplice(int fd, const struct iovec *iov, size_t count, unsigned flags)
{
    /* Into a pipe's write end a blocking vmsplice waits for room and fills what there is;
     * from its read end it waits for data and takes what there is: one pass either way. */
    int status = fcntl(fd, F_GETFL);
    if ((flags & SPLICE_F_NONBLOCK) || status < 0 || (status & O_NONBLOCK))
        return neg_errno(gp__real.vmsplice(fd, iov, count, flags));
    struct gp_io_wait w = {
        .fd = fd, .events = (status & O_ACCMODE) == O_RDONLY ? GP_HUB_READ : GP_HUB_WRITE};
    for (;;) {
        ssize_t r = neg_errno(gp__real.vmsplice(fd, iov, count, flags | SPLICE_F_NONBLOCK));
        if (r != -EAGAIN)
            return r;
        int next = gp__io_wait(&w);
        if (next != 0)
            return next == 1 ? r : next;
    }
}

/* ---- sendmmsg, recvmmsg ---- */

/* Linux takes at most UIO_MAXIOV messages in one call. */
enum { MAX_MESSAGES = 1024 };

static size_t message_size(const struct msghdr *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->msg_iovlen; i++)
        n += m->msg_iov[i].iov_len;
    return n;
}

/* A non-blocking attempt sent the front of a message on a stream socket (m->msg_len
 * bytes): a blocking sendmmsg sends each message whole. Sends the rest (its address and
 * ancillary data went with the front) and adds it to msg_len. */
static ssize_t send_rest(int fd, struct mmsghdr *m, int flags)
{
    struct iovec small[8], *iov = small;
    size_t count = m->msg_hdr.msg_iovlen, kept = 0, skip = m->msg_len;
    if (count > 8 && !(iov = malloc(count * sizeof *iov)))
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        struct iovec v = m->msg_hdr.msg_iov[i];
        if (skip >= v.iov_len) {
            skip -= v.iov_len;
            continue;
        }
        iov[kept++] = (struct iovec){(char *)v.iov_base + skip, v.iov_len - skip};
        skip = 0;
    }
    struct msghdr rest = {.msg_iov = iov, .msg_iovlen = kept};
    ssize_t r = gp__io_sendmsg(fd, &rest, flags);
    if (r > 0)
        m->msg_len += (unsigned)r;
    if (iov != small)
        free(iov);
    return r;
}

int gp__fdio_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
    /* Batches without waiting, as many messages as go; a message that does not go is
     * sent as one blocking sendmsg would send it, and the batches go on after it. An
     * error after the first message ends the call with the count (the kernel's rule). */
    unsigned done = 0;
    vlen = vlen < MAX_MESSAGES ? vlen : MAX_MESSAGES;
    while (done < vlen) {
        int r = (int)neg_errno(
            gp__real.sendmmsg(fd, vec + done, vlen - done, flags | MSG_DONTWAIT));
        if (r > 0) {
            done += (unsigned)r;
            struct mmsghdr *last = &vec[done - 1];
            if (last->msg_len < message_size(&last->msg_hdr) && send_rest(fd, last, flags) < 0)
                return (int)done;
            continue;
        }
        if (r == -EAGAIN) {
            ssize_t sent = gp__io_sendmsg(fd, &vec[done].msg_hdr, flags);
            if (sent >= 0) {
                vec[done++].msg_len = (unsigned)sent;
                continue;
            }
            r = (int)sent;
        }
        return done ? (int)done : r;
    }
    return (int)done;
}

int gp__fdio_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, int64_t deadline)
{
    /* Natively each datagram is a blocking receive (MSG_WAITFORONE: only the first), and
     * the timeout is looked at after each one. Here: batches without waiting, passing the
     * time left so that the kernel looks at it after each datagram too; when nothing is
     * there, one datagram is received as a blocking recvmsg would. */
    unsigned done = 0;
    int err = 0;
    vlen = vlen < MAX_MESSAGES ? vlen : MAX_MESSAGES;
    int one_flags = flags & ~MSG_WAITFORONE;
    while (done < vlen) {
        /* An error that arrived after some datagrams is the next call's (the kernel keeps
         * it as the socket's error). */
        if (done > 0 && gp__io_error_pending(fd, false))
            break;
        struct timespec left, *timeout = NULL;
        if (deadline != GP_NO_DEADLINE) {
            int64_t ns = deadline - gp__now_ns();
            ns = ns > 0 ? ns : 0;
            left = (struct timespec){ns / 1000000000, ns % 1000000000};
            timeout = &left;
        }
        int r = (int)neg_errno(gp__real.recvmmsg(fd, vec + done, vlen - done,
                                                  one_flags | MSG_DONTWAIT, timeout));
        if (r == -EAGAIN && !(done > 0 && (flags & MSG_WAITFORONE))) {
            ssize_t got = gp__io_recvmsg(fd, &vec[done].msg_hdr, one_flags);
            if (got >= 0)
                vec[done].msg_len = (unsigned)got;
            r = got >= 0 ? 1 : (int)got;
        }
        if (r <= 0) {
            err = r;
            break;
        }
        done += (unsigned)r;
        if ((vec[done - 1].msg_hdr.msg_flags & MSG_OOB) ||
            (deadline != GP_NO_DEADLINE && gp__now_ns() >= deadline))
            break;
    }
    return done > 0 ? (int)done : err;
}

/* ---- open of a FIFO ---- */

bool gp__fdio_open_may_wait(int flags)
{
    /* Only O_RDONLY and O_WRONLY opens of a FIFO wait for the other end (O_RDWR never
     * does on Linux); O_CREAT|O_EXCL always makes a new regular file. */
    int mode = flags & O_ACCMODE;
    return (mode == O_RDONLY || mode == O_WRONLY) &&
           !(flags & (O_NONBLOCK | O_PATH | O_DIRECTORY)) &&
           (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
}

/* Whether a writer has the FIFO open: tee from it into a scratch pipe, without taking
 * anything, says 0 when there is none and EAGAIN when there is one but no data (pipe's
 * ipipe_prep); data in the FIFO counts as a writer. Without a scratch pipe, the FIFO's
 * data or hang-up is taken as the sign. */
static bool writer_seen(int fifo, int scratch)
{
    if (scratch < 0)
        return ready_now(fifo, POLLIN);
    return gp__real.tee(fifo, scratch, 1, SPLICE_F_NONBLOCK) != 0;
}

/* A reader holds the FIFO open (non-blocking) until a writer has opened it: it waits
 * for the FIFO's data or hang-up on the hub, and looks for a writer after each pause
 * (a writer's open wakes no poll). Returns 0, -EINTR, or -ETIMEDOUT when the timeout
 * scope's deadline passed (timeout.h). */
static int wait_for_a_writer(int fd)
{
    int scratch[2] = {-1, -1};
    if (pipe2(scratch, O_CLOEXEC | O_NONBLOCK) < 0)
        scratch[1] = -1;
    int64_t pause = PAUSE_FIRST_NS;
    int r = 0;
    while (!writer_seen(fd, scratch[1])) {
        /* The timeout scope (timeout.h) ends the wait in steps too. */
        if ((r = gp__timeout_check()) < 0)
            break;
        if (gp__hub_wait_fd(fd, GP_HUB_READ, gp__timeout_bound(next_pause(&pause)),
                            GP_INTR_UNLESS_RESTART) == GP_WAKE_INTERRUPT) {
            r = -EINTR;
            break;
        }
    }
    if (scratch[1] >= 0) {
        gp__real.close(scratch[0]);
        gp__real.close(scratch[1]);
    }
    return r;
}

/* A writer's non-blocking open fails with ENXIO while no reader has the FIFO open, and
 * nothing can be polled before the open: it tries again after each pause. */
static int open_when_a_reader_comes(int dirfd, const char *path, int flags, mode_t mode)
{
    int64_t pause = PAUSE_FIRST_NS;
    for (;;) {
        int fd = (int)neg_errno(gp__real.openat(dirfd, path, flags | O_NONBLOCK, mode));
        if (fd != -ENXIO)
            return fd;
        int r = gp__timeout_check(); /* the timeout scope ends the wait in steps too */
        if (r < 0)
            return r;
        if (gp__hub_park_until(gp__timeout_bound(next_pause(&pause)), GP_INTR_UNLESS_RESTART) ==
            GP_WAKE_INTERRUPT)
            return -EINTR;
    }
}

int gp__fdio_open(int dirfd, const char *path, int flags, mode_t mode)
{
    /* Only a FIFO can wait here, and only the path says whether it is one. statx for the
     * type alone, without syncing a network file system's attributes, is the cheapest
     * look that changes nothing: measured on this machine (ext4-like overlay, 200,000
     * rounds), open+close costs 2.1 us, statx+open+close 3.2 us. Opening with O_NONBLOCK
     * and looking with fstat would cost 0.7 us where statx costs 1.1 us, but O_NONBLOCK
     * changes what open itself does on devices (a serial line stops waiting for carrier,
     * a busy sound card says EBUSY instead of waiting), and opening with O_PATH first
     * costs a second path lookup (4.3 us). A path that turns into a FIFO between the look
     * and the open waits in the kernel, as it would natively. */
    struct statx st;
    int at = AT_STATX_DONT_SYNC | (flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0);
    if (statx(dirfd, path, at, STATX_TYPE, &st) < 0 || !S_ISFIFO(st.stx_mode))
        return (int)neg_errno(gp__real.openat(dirfd, path, flags, mode));
    /* Open without waiting, wait for the other end on the hub, then clear O_NONBLOCK:
     * the description ends up with the flags the program asked for. */
    int fd = (flags & O_ACCMODE) == O_WRONLY
                 ? open_when_a_reader_comes(dirfd, path, flags, mode)
                 : (int)neg_errno(gp__real.openat(dirfd, path, flags | O_NONBLOCK, mode));
    if (fd < 0)
        return fd;
    int r = (flags & O_ACCMODE) == O_RDONLY ? wait_for_a_writer(fd) : 0;
    int status = fcntl(fd, F_GETFL);
    if (r == 0 && (status < 0 || fcntl(fd, F_SETFL, status & ~O_NONBLOCK) < 0))
        r = -errno;
    if (r < 0) {
        gp__real.close(fd);
        return r;
    }
    return fd;
}

/* ---- close of a lingering TCP socket ---- */

void gp__fdio_linger(int fd)
{
    /* Natively close() of a TCP socket with SO_LINGER (and a linger time) waits until the
     * peer has acknowledged all it was sent, its FIN included, or the time passes, or a
     * signal comes; then the connection closes in the background. Here the green thread
     * waits until nothing sent is unacknowledged (SIOCOUTQ), looking after each pause;
     * what is left of the wait (the FIN) is the kernel's. When the time passes or a
     * handler runs first, lingering is switched off just before the close, which then
     * leaves the connection to close in the background, as the kernel does once the
     * linger time is over. */
    struct linger l;
    socklen_t len = sizeof l;
    int proto;
    socklen_t plen = sizeof proto;
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0 || !l.l_onoff || l.l_linger <= 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) < 0 || proto != IPPROTO_TCP)
        return;
    /* A timeout scope (timeout.h) ends the lingering as the linger time does: close()
     * returns 0 all the same. */
    int64_t deadline = gp__timeout_bound(gp__deadline_after((int64_t)l.l_linger * 1000000000));
    int64_t pause = PAUSE_FIRST_NS;
    int unacked;
    while (ioctl(fd, SIOCOUTQ, &unacked) == 0 && unacked > 0) {
        int64_t until = next_pause(&pause);
        enum gp_wake why = gp__hub_park_until(until < deadline ? until : deadline, GP_INTR_ALWAYS);
        if (why == GP_WAKE_INTERRUPT || gp__now_ns() >= deadline) {
            struct linger off = {0, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
            return;
        }
    }
}
