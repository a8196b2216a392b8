/* glibc functions that take a pthread_t and read the struct pthread behind it, which a
 * green thread's handle (its struct gp_thread) is not. Each answers what it answers
 * natively, for the thread as it exists under the shim.
 * Interposes: pthread_getattr_np, pthread_getcpuclockid, pthread_getschedparam,
 * pthread_setschedparam, pthread_setschedprio, pthread_getaffinity_np,
 * pthread_setaffinity_np.
 *
 * pthread_getattr_np reports a green thread's own stack, guard and detach state
 * (runtime/identity.h). The others are about the kernel task, and every green thread runs
 * on one: the scheduler's OS thread. Scheduling policy, priority and CPU affinity set for
 * any green thread apply to that OS thread, so to all of them, and read back the same from
 * each. pthread_getcpuclockid gives that OS thread's CPU-time clock: it counts the CPU time
 * of every green thread, not of the one named. (The GLIBC_2.3.3 affinity functions, of
 * binaries from 2003 that pass no set size, are left to glibc.) */
#include "shim.h"

#include "identity.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

/* The OS thread to ask for h: the scheduler's for a green thread, else h itself. */
static pthread_t task_of(pthread_t h) { return gp_green_handle(h) ? gp__sched_os_thread() : h; }

GP_EXPORT_VERSIONS(pthread_getattr_np, "GLIBC_2.32", "GLIBC_2.2.5")
int gp_shim_pthread_getattr_np(pthread_t h, pthread_attr_t *attr)
{
    struct gp_thread *t = gp_green_handle(h);
    if (!t || t->is_main)
        return gp__real.pthread_getattr_np(h, attr); /* main's stack is the OS thread's */
    int saved = errno;
    return gp_return_error(gp__identity_attr(t, attr), saved);
}

GP_EXPORT_VERSIONS(pthread_getcpuclockid, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_getcpuclockid(pthread_t h, clockid_t *clock)
{
    return gp__real.pthread_getcpuclockid(task_of(h), clock);
}

GP_EXPORT int pthread_getschedparam(pthread_t h, int *policy, struct sched_param *param)
{
    return gp__real.pthread_getschedparam(task_of(h), policy, param);
}

GP_EXPORT int pthread_setschedparam(pthread_t h, int policy, const struct sched_param *param)
{
    return gp__real.pthread_setschedparam(task_of(h), policy, param);
}

GP_EXPORT_VERSIONS(pthread_setschedprio, "GLIBC_2.34", "GLIBC_2.3.4")
int gp_shim_pthread_setschedprio(pthread_t h, int prio)
{
    return gp__real.pthread_setschedprio(task_of(h), prio);
}

GP_EXPORT_VERSIONS(pthread_getaffinity_np, "GLIBC_2.32", "GLIBC_2.3.4")
int gp_shim_pthread_getaffinity_np(pthread_t h, size_t size, cpu_set_t *set)
{
    return gp__real.pthread_getaffinity_np(task_of(h), size, set);
}

GP_EXPORT_VERSIONS(pthread_setaffinity_np, "GLIBC_2.34", "GLIBC_2.3.4")
int gp_shim_pthread_setaffinity_np(pthread_t h, size_t size, const cpu_set_t *set)
{
    return gp__real.pthread_setaffinity_np(task_of(h), size, set);
}
