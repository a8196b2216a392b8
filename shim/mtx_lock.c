/* C11 mutexes.
 * Interposes: mtx_lock, mtx_timedlock, mtx_trylock, mtx_unlock. (mtx_init and mtx_destroy
 * only set up and check the pthread mutex: left to glibc.)
 *
 * An mtx_t is a pthread_mutex_t; see shim/thrd_create.c for why these call the public
 * pthread names.
 *
 * coverage cooperative: mtx_lock mtx_timedlock */
#include "shim.h"

#include "c11.h"

#include <pthread.h>
#include <threads.h>

GP_EXPORT_VERSIONS(mtx_lock, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_mtx_lock(mtx_t *m) { return gp_c11_result(pthread_mutex_lock((pthread_mutex_t *)m)); }

GP_EXPORT_VERSIONS(mtx_timedlock, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict at)
{
    return gp_c11_result(pthread_mutex_timedlock((pthread_mutex_t *)m, at));
}

GP_EXPORT_VERSIONS(mtx_trylock, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_mtx_trylock(mtx_t *m)
{
    return gp_c11_result(pthread_mutex_trylock((pthread_mutex_t *)m));
}

GP_EXPORT_VERSIONS(mtx_unlock, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_mtx_unlock(mtx_t *m)
{
    return gp_c11_result(pthread_mutex_unlock((pthread_mutex_t *)m));
}
