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
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

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

#endif
