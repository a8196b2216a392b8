/* One-time initialisation.
 * Interposes: pthread_once, call_once (C11: a once_flag is a pthread_once_t; see
 * shim/thrd_create.c).
 *
 * glibc runs the routine (runtime/once.h); a green thread that finds another thread
 * running it waits green, where glibc would wait in the kernel and stop every green thread
 * (the routine's runner among them, when the routine blocks cooperatively).
 *
 * coverage cooperative: pthread_once call_once */
#include "shim.h"

#include "once.h"

#include <pthread.h>
#include <threads.h>

GP_EXPORT_VERSIONS(pthread_once, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_once(pthread_once_t *control, void (*init)(void))
{
    if (!gp_cooperative())
        return gp__real.pthread_once(control, init);
    int saved = errno;
    return gp_return_error(gp__once(control, init), saved);
}

GP_EXPORT_VERSIONS(call_once, "GLIBC_2.34", "GLIBC_2.28")
void gp_shim_call_once(once_flag *flag, void (*func)(void))
{
    pthread_once((pthread_once_t *)flag, func);
}
