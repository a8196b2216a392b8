/* System V message queues without stalling other green threads: a receive or send is tried
 * with IPC_NOWAIT inline; one that must wait waits in the worker pool (ipc.h). Both are
 * cancellation points, acted on at entry and, once the pool's wait has come back, when the
 * call failed (runtime/cancel.h).
 * Interposes: msgrcv, msgsnd.
 * coverage pool: msgrcv msgsnd */
#include "shim.h"

#include "cancel.h"
#include "ipc.h"

#include <sys/msg.h>

GP_EXPORT ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.msgrcv(id, msg, size, type, flags);
    int saved = errno;
    long r = gp__ipc_msgrcv(id, msg, size, type, flags);
    gp__cancel_point_after(r);
    return gp_return(r, saved);
}

GP_EXPORT int msgsnd(int id, const void *msg, size_t size, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.msgsnd(id, msg, size, flags);
    int saved = errno;
    long r = gp__ipc_msgsnd(id, msg, size, flags);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
