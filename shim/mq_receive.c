/* POSIX message queues without stalling other green threads: a message queue descriptor
 * is an fd that poll reports on, so a receive or send that would wait parks on the hub
 * (ipc.h). The calls moved from librt to libc in glibc 2.34 and exist in two versions.
 * Each is a cancellation point.
 * Interposes: mq_receive, mq_timedreceive, mq_send, mq_timedsend.
 * coverage cooperative: mq_receive mq_timedreceive mq_send mq_timedsend */
#include "shim.h"

#include "cancel.h"
#include "ipc.h"

#include <mqueue.h>

GP_EXPORT_VERSIONS(mq_receive, "GLIBC_2.34", "GLIBC_2.3.4")
ssize_t mq_receive(mqd_t q, char *msg, size_t size, unsigned *prio)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.mq_receive(q, msg, size, prio);
    int saved = errno;
    long r = gp__ipc_mq_receive(q, msg, size, prio, NULL);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT_VERSIONS(mq_timedreceive, "GLIBC_2.34", "GLIBC_2.3.4")
ssize_t mq_timedreceive(mqd_t q, char *msg, size_t size, unsigned *prio,
                        const struct timespec *abs_timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.mq_timedreceive(q, msg, size, prio, abs_timeout);
    int saved = errno;
    long r = gp__ipc_mq_receive(q, msg, size, prio, abs_timeout);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT_VERSIONS(mq_send, "GLIBC_2.34", "GLIBC_2.3.4")
int mq_send(mqd_t q, const char *msg, size_t size, unsigned prio)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.mq_send(q, msg, size, prio);
    int saved = errno;
    long r = gp__ipc_mq_send(q, msg, size, prio, NULL);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}

GP_EXPORT_VERSIONS(mq_timedsend, "GLIBC_2.34", "GLIBC_2.3.4")
int mq_timedsend(mqd_t q, const char *msg, size_t size, unsigned prio,
                 const struct timespec *abs_timeout)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.mq_timedsend(q, msg, size, prio, abs_timeout);
    int saved = errno;
    long r = gp__ipc_mq_send(q, msg, size, prio, abs_timeout);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
