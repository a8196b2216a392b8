/* Names of green threads (runtime/identity.h).
 * Interposes: pthread_setname_np, pthread_getname_np.
 *
 * glibc reaches a thread's kernel task through its struct pthread, which a green thread's
 * handle is not. Every green thread other than main keeps its name in the shim; main's is
 * the OS thread's, the one ps and top show, and glibc reads it as natively. */
#include "shim.h"

#include "identity.h"

#include <pthread.h>

GP_EXPORT_VERSIONS(pthread_setname_np, "GLIBC_2.34", "GLIBC_2.12")
int gp_shim_pthread_setname_np(pthread_t h, const char *name)
{
    struct gp_thread *t = gp_green_handle(h);
    if (!t)
        return gp__real.pthread_setname_np(h, name);
    int saved = errno;
    return gp_return_error(gp__identity_set_name(t, name), saved);
}

GP_EXPORT_VERSIONS(pthread_getname_np, "GLIBC_2.34", "GLIBC_2.12")
int gp_shim_pthread_getname_np(pthread_t h, char *buf, size_t len)
{
    struct gp_thread *t = gp_green_handle(h);
    if (!t || t->is_main)
        return gp__real.pthread_getname_np(h, buf, len);
    int saved = errno;
    return gp_return_error(gp__identity_get_name(t, buf, len), saved);
}
