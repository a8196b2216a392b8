/* Signals aimed at one green thread: its handler runs on that thread and ends its wait as
 * the kernel would (runtime/signals.h). Every green thread shares one OS thread, so the
 * signal goes to that OS thread with the green target noted.
 * Interposes: pthread_kill, pthread_sigqueue. */
#include "shim.h"

#include "config.h"
#include "signals.h"

#include <signal.h>

GP_EXPORT_VERSIONS(pthread_kill, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_kill(pthread_t h, int sig)
{
    struct gp_thread *t = gp__init() && !gp__config.disabled ? gp__sched_from_handle(h) : NULL;
    if (!t)
        return gp__real.pthread_kill(h, sig);
    int saved = errno;
    return gp_return_error(gp__signal_send(t, gp__sched_os_thread(), sig), saved);
}

/* pthread_sigqueue goes where pthread_kill goes, with its value. */
GP_EXPORT_VERSIONS(pthread_sigqueue, "GLIBC_2.34", "GLIBC_2.11")
int gp_shim_pthread_sigqueue(pthread_t h, int sig, const union sigval value)
{
    struct gp_thread *t = gp_green_handle(h);
    if (!t)
        return gp__real.pthread_sigqueue(h, sig, value);
    int saved = errno;
    return gp_return_error(gp__signal_queue(t, gp__sched_os_thread(), sig, value), saved);
}
