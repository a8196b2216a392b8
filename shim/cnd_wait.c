/* C11 condition variables.
 * Interposes: cnd_wait, cnd_timedwait, cnd_signal, cnd_broadcast. (cnd_init and
 * cnd_destroy are left to glibc.)
 *
 * A cnd_t is a pthread_cond_t and an mtx_t a pthread_mutex_t; see shim/thrd_create.c for
 * why these call the public pthread names.
 *
 * coverage cooperative: cnd_wait cnd_timedwait */
#include "shim.h"

#include "c11.h"

#include <pthread.h>
#include <threads.h>

GP_EXPORT_VERSIONS(cnd_wait, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_cnd_wait(cnd_t *c, mtx_t *m)
{
    return gp_c11_result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

GP_EXPORT_VERSIONS(cnd_timedwait, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict at)
{
    return gp_c11_result(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, at));
}

GP_EXPORT_VERSIONS(cnd_signal, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_cnd_signal(cnd_t *c) { return gp_c11_result(pthread_cond_signal((pthread_cond_t *)c)); }

GP_EXPORT_VERSIONS(cnd_broadcast, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_cnd_broadcast(cnd_t *c)
{
    return gp_c11_result(pthread_cond_broadcast((pthread_cond_t *)c));
}
