/* Thread-specific data of green threads (runtime/tsd.h).
 * Interposes: pthread_key_create, __pthread_key_create, pthread_key_delete,
 * pthread_getspecific, pthread_setspecific. (C11's tss_* come here by these names from
 * shim/tss_create.c.)
 *
 * Keys are always made by glibc and noted by the shim. Values: a green thread other than
 * main keeps its own; main and every OS thread the shim does not run use glibc's, and so
 * does every thread for the keys of a sanitizer runtime (runtime/tsd.h). */
#include "shim.h"

#include "tsd.h"

#include <pthread.h>

/* A green thread with values of its own for key, or NULL for glibc's. */
static struct gp_thread *own_values(pthread_key_t key)
{
    struct gp_thread *t = gp__current;
    return gp__tsd_own(t, key) ? t : NULL;
}

/* Keys need glibc's functions, never the settings: these gates resolve the table of real
 * functions only (gp__real_resolve, not gp__init). A sanitizer runtime makes and reads its
 * key while ld.so runs its pre-initialisers, before libc has set up the environment: the
 * settings read then would all be the defaults. While dlsym runs inside that resolution
 * there is no glibc to ask.
 *
 * Keys are noted even before green threads exist: they may be used by green threads later. */
static int key_create(pthread_key_t *key, void (*destructor)(void *), const void *caller)
{
    if (!gp__real_resolve())
        return EAGAIN;
    int saved = errno;
    return gp_return_error(gp__tsd_create(key, destructor, caller), saved);
}

GP_EXPORT_VERSIONS(pthread_key_create, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    return key_create(key, destructor, __builtin_return_address(0));
}

/* The name libstdc++'s gthreads layer references. */
GP_EXPORT_VERSIONS(__pthread_key_create, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim___pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    return key_create(key, destructor, __builtin_return_address(0));
}

static int key_delete(pthread_key_t key)
{
    if (!gp__real_resolve())
        return EINVAL;
    int saved = errno;
    return gp_return_error(gp__tsd_delete(key), saved);
}

GP_EXPORT_VERSIONS(pthread_key_delete, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_key_delete(pthread_key_t key) { return key_delete(key); }

static void *get_specific(pthread_key_t key)
{
    struct gp_thread *t = own_values(key);
    if (t)
        return gp__tsd_get(t, key);
    return gp__real_resolve() ? gp__real.pthread_getspecific(key) : NULL;
}

static int set_specific(pthread_key_t key, const void *value)
{
    struct gp_thread *t = own_values(key);
    if (!t)
        return gp__real_resolve() ? gp__real.pthread_setspecific(key, value) : ENOMEM;
    int saved = errno;
    return gp_return_error(gp__tsd_set(t, key, value), saved);
}

GP_EXPORT_VERSIONS(pthread_getspecific, "GLIBC_2.34", "GLIBC_2.2.5")
void *gp_shim_pthread_getspecific(pthread_key_t key) { return get_specific(key); }

GP_EXPORT_VERSIONS(pthread_setspecific, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_setspecific(pthread_key_t key, const void *value)
{
    return set_specific(key, value);
}
