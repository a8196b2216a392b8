/* The other calls that wait on sockets, pipes and FIFOs: sendfile, splice, tee, vmsplice,
 * sendmmsg, recvmmsg, the open of a FIFO, and the close of a lingering TCP socket. Each
 * attempts without blocking, without leaving anything changed on the fds (where the kernel
 * has no per-call non-blocking flag, O_NONBLOCK is set for the one attempt and cleared
 * before anything else runs, as connect does), and waits on the hub as the blocking call
 * would wait in the kernel (runtime/io.h: the socket's own timeouts, signals, the
 * program's own O_NONBLOCK honoured with the plain call).
 *
 * All functions return a count, an fd or 0, or a negative errno. */
#ifndef GP_FDIO_H
#define GP_FDIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

ssize_t gp__fdio_sendfile(int out, int in, off_t *offset, size_t count);
ssize_t gp__fdio_splice(int in, off_t *off_in, int out, off_t *off_out, size_t len,
                        unsigned flags);
ssize_t gp__fdio_tee(int in, int out, size_t len, unsigned flags);
ssize_t gp__fdio_vmsplice(int fd, const struct iovec *iov, size_t count, unsigned flags);
int gp__fdio_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags);
/* deadline: recvmmsg's own timeout (clock.h), looked at after each datagram, as the
 * kernel does; GP_NO_DEADLINE without one. */
int gp__fdio_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, int64_t deadline);

/* True when an open with these flags could wait for the other end of a FIFO. */
bool gp__fdio_open_may_wait(int flags);
/* openat, for flags of which gp__fdio_open_may_wait is true. */
int gp__fdio_open(int dirfd, const char *path, int flags, mode_t mode);

/* Before fd is closed: a TCP socket with SO_LINGER set waits, as close() would, until
 * what it sent is acknowledged or the linger time passes. */
void gp__fdio_linger(int fd);

#endif
