/* Receiving on sockets. recv and recvfrom are recvmsg with one buffer: the kernel treats
 * them alike, addresses included (truncated to the caller's length, full length
 * reported).
 * Interposes: recv, recvfrom, recvmsg, and __recv_chk, __recvfrom_chk (what recv and
 * recvfrom become in a program built with _FORTIFY_SOURCE when the buffer's size is known).
 *
 * coverage cooperative: recv recvfrom recvmsg __recv_chk __recvfrom_chk */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/socket.h>

GP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.recvmsg(fd, msg, flags);
    int saved = errno;
    ssize_t r = gp__io_recvmsg(fd, msg, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                           socklen_t *addrlen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.recvfrom(fd, buf, len, flags, addr, addrlen);
    int saved = errno;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (addr && addrlen) {
        msg.msg_name = addr;
        msg.msg_namelen = *addrlen;
    }
    ssize_t r = gp__io_recvmsg(fd, &msg, flags);
    gp__cancel_point_after(r);
    if (r >= 0 && addr && addrlen)
        *addrlen = msg.msg_namelen;
    return gp_return(r, saved);
}

GP_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.recv(fd, buf, len, flags);
    int saved = errno;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = gp__io_recvmsg(fd, &msg, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

GP_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                 struct sockaddr *addr, socklen_t *addrlen)
{
    if (len > buflen)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, addr, addrlen);
}
