/* Cooperative I/O on sockets, pipes, FIFOs and terminals. Each call first tries the
 * operation without blocking and without touching the fd's flags (MSG_DONTWAIT for
 * sockets, RWF_NOWAIT for read/write; connect alone makes its one attempt with O_NONBLOCK
 * set and restored before anything else runs); when it would block, the green thread
 * waits on the hub for readiness and tries again. What the program sees is what the blocking call would
 * have returned: full writes, SO_RCVTIMEO/SO_SNDTIMEO expiry as EAGAIN, its own O_NONBLOCK
 * honoured at once.
 *
 * Regular files and block devices have no readiness to wait for. A read is served from the
 * page cache inline when RWF_NOWAIT can take it from there; what would wait for the disk
 * runs in the worker pool (pool.h), as do writes that wait for the device by design
 * (O_SYNC, O_DSYNC, O_DIRECT, RWF_SYNC, RWF_DSYNC). GREENPATCH_FILE_IO (config.h) can send
 * every such call inline or to the pool instead.
 *
 * All functions return a count or 0, or a negative errno. */
#ifndef GP_IO_H
#define GP_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* What a blocking call is waiting for, across its attempts. */
struct gp_io_wait {
    int fd;
    int events;       /* GP_HUB_READ or GP_HUB_WRITE */
    int timeout_opt;  /* SO_RCVTIMEO or SO_SNDTIMEO: the socket's own timeout for this call */
    bool checked;     /* the fd's flags and timeout have been read */
    bool disk;        /* checked: a regular file or block device */
    int status_flags; /* checked: F_GETFL */
    int64_t deadline; /* from the socket timeout, for the whole call */
    int idle_wakes;   /* readiness reports after which the attempt still would block */
    bool woke_ready;  /* the last wait ended with the fd reported ready */
};

/* For blocking calls built outside this file (runtime/fdio.c), after an attempt on w->fd
 * would have blocked: waits as the blocking call would have, until the fd is ready.
 * Returns 0 (try again), 1 when the program made the fd non-blocking itself (its plain
 * call is the answer), or the error that ends the call: EAGAIN when the socket's timeout
 * passed, EINTR, EBADF when another green thread closed the fd. */
int gp__io_wait(struct gp_io_wait *w);
/* A socket error or hang-up that the next attempt would consume: after some bytes have
 * moved, a blocking call ends with its count and leaves the error to the next call. */
bool gp__io_error_pending(int fd, bool writes);

ssize_t gp__io_read(int fd, void *buf, size_t count);
ssize_t gp__io_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t gp__io_writev(int fd, const struct iovec *iov, int iovcnt);
/* pread, preadv, pwrite, pwritev (with_flags false: rwf is 0) and preadv2, pwritev2 (with
 * the caller's RWF_* flags; offset -1: the file position). */
ssize_t gp__io_preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset, int rwf,
                      bool with_flags);
ssize_t gp__io_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset, int rwf,
                       bool with_flags);
ssize_t gp__io_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t gp__io_sendmsg(int fd, const struct msghdr *msg, int flags);
int gp__io_connect(int fd, const struct sockaddr *addr, socklen_t len);
/* accept4 with flags; plain accept when use_accept4 is false (same result, its own name
 * for seccomp filters and tracers). */
int gp__io_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool use_accept4);
int gp__io_close(int fd);
/* For callers that cannot try their call without blocking (glibc's stdio, which reads
 * through its internal read): waits until fd is ready for events (GP_HUB_READ or
 * GP_HUB_WRITE) and returns 0 when the plain blocking call will not wait, or will wait
 * because the program asked for that (its own O_NONBLOCK makes it fail at once; a disk file
 * is always "ready"). Otherwise returns the negative errno the blocking call would have
 * ended with: -EAGAIN when SO_RCVTIMEO/SO_SNDTIMEO expires, -EINTR for a handler without
 * SA_RESTART, -EBADF when another green thread closes fd. */
int gp__io_wait_ready(int fd, int events);

#endif
