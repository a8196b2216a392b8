/* System V message queues without stalling other green threads: a receive or send is tried
 * with IPC_NOWAIT inline; one that must wait waits in the worker pool (ipc.h).
 * Interposes: msgrcv, msgsnd.
 * coverage pool: msgrcv msgsnd */
#include "shim.h"

#include "ipc.h"

#include <sys/msg.h>

GP_EXPORT ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
    if (!gp_cooperative())
        return gp__real.msgrcv(id, msg, size, type, flags);
    int saved = errno;
    return gp_return(gp__ipc_msgrcv(id, msg, size, type, flags), saved);
}

GP_EXPORT int msgsnd(int id, const void *msg, size_t size, int flags)
{
    if (!gp_cooperative())
        return gp__real.msgsnd(id, msg, size, flags);
    int saved = errno;
    return (int)gp_return(gp__ipc_msgsnd(id, msg, size, flags), saved);
}
