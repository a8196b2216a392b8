/* Waiting for child processes lets the other green threads run (runtime/process.h). A call
 * with WNOHANG never waits; when it finds nothing to report the others have a turn first,
 * as after every "not yet" (shim.h). Each is a cancellation point, WNOHANG or not, as in
 * glibc; a cancelled wait reaps nothing.
 * Interposes: wait, __wait, waitpid, __waitpid, wait3, wait4, waitid.
 * coverage cooperative: wait __wait waitpid __waitpid wait3 wait4 waitid */
#include "shim.h"

#include "cancel.h"
#include "process.h"

#include <sys/wait.h>

/* The gate, after the cancellation point's entry. */
static bool green_wait(void)
{
    gp__cancel_point();
    return gp_cooperative();
}

static pid_t green_wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    int saved = errno;
    pid_t r = gp__process_wait4(pid, status, options, usage);
    gp__cancel_point_after(r);
    return (pid_t)gp_return(r, saved);
}

GP_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    if (!green_wait())
        return gp__real.wait4(pid, status, options, usage);
    return green_wait4(pid, status, options, usage);
}

GP_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
    if (!green_wait())
        return gp__real.wait3(status, options, usage);
    return green_wait4(-1, status, options, usage);
}

GP_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    if (!green_wait())
        return gp__real.waitpid(pid, status, options);
    return green_wait4(pid, status, options, NULL);
}

GP_EXPORT pid_t __waitpid(pid_t pid, int *status, int options)
    __attribute__((alias("waitpid"), copy(waitpid)));

GP_EXPORT pid_t wait(int *status)
{
    if (!green_wait())
        return gp__real.wait(status);
    return green_wait4(-1, status, 0, NULL);
}

GP_EXPORT pid_t __wait(int *status) __attribute__((alias("wait"), copy(wait)));

GP_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    if (!green_wait())
        return gp__real.waitid(idtype, id, info, options);
    int saved = errno;
    int r = gp__process_waitid(idtype, id, info, options);
    gp__cancel_point_after(r);
    return (int)gp_return(r, saved);
}
