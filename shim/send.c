/* Sending on sockets. A blocking send on a stream socket returns when everything is
 * queued, as natively. send and sendto are sendmsg with one buffer.
 * Interposes: send, sendto, sendmsg.
 *
 * coverage cooperative: send sendto sendmsg */
#include "shim.h"

#include "cancel.h"
#include "io.h"

#include <sys/socket.h>

GP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sendmsg(fd, msg, flags);
    int saved = errno;
    ssize_t r = gp__io_sendmsg(fd, msg, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *addr, socklen_t addrlen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sendto(fd, buf, len, flags, addr, addrlen);
    int saved = errno;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_name = (void *)addr, .msg_namelen = addr ? addrlen : 0,
                         .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = gp__io_sendmsg(fd, &msg, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.send(fd, buf, len, flags);
    int saved = errno;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = gp__io_sendmsg(fd, &msg, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}
