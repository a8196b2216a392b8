/* System V semaphores without stalling other green threads: the operations are tried
 * with IPC_NOWAIT inline; a call that must wait waits in the worker pool (ipc.h). No
 * cancellation points: glibc 2.36's are plain system calls.
 * Interposes: semop, semtimedop.
 * coverage pool: semop semtimedop */
#include "shim.h"

#include "ipc.h"

#include <sys/sem.h>

GP_EXPORT int semop(int id, struct sembuf *ops, size_t n)
{
    if (!gp_cooperative())
        return gp__real.semop(id, ops, n);
    int saved = errno;
    return (int)gp_return(gp__ipc_semtimedop(id, ops, n, NULL, true), saved);
}

GP_EXPORT int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *timeout)
{
    if (!gp_cooperative())
        return gp__real.semtimedop(id, ops, n, timeout);
    int saved = errno;
    return (int)gp_return(gp__ipc_semtimedop(id, ops, n, timeout, false), saved);
}
