/* C11 thread-specific storage.
 * Interposes: tss_create, tss_get, tss_set, tss_delete.
 *
 * A tss_t is a pthread_key_t. glibc's tss functions call its pthread key functions by
 * their internal names; these call the public names, so that whatever the shim does for
 * pthread keys (each green thread its own values) holds for C11 programs too (see
 * shim/thrd_create.c). */
#include "shim.h"

#include "c11.h"

#include <pthread.h>
#include <threads.h>

GP_EXPORT_VERSIONS(tss_create, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_tss_create(tss_t *key, tss_dtor_t destructor)
{
    return gp_c11_result(pthread_key_create(key, destructor));
}

GP_EXPORT_VERSIONS(tss_get, "GLIBC_2.34", "GLIBC_2.28")
void *gp_shim_tss_get(tss_t key) { return pthread_getspecific(key); }

GP_EXPORT_VERSIONS(tss_set, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_tss_set(tss_t key, void *value)
{
    return gp_c11_result(pthread_setspecific(key, value));
}

GP_EXPORT_VERSIONS(tss_delete, "GLIBC_2.34", "GLIBC_2.28")
void gp_shim_tss_delete(tss_t key) { pthread_key_delete(key); }
