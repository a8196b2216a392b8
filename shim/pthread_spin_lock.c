/* Spinlocks.
 * Interposes: pthread_spin_lock.
 *
 * A green thread that finds the lock taken lets the other green threads run between its
 * tries (runtime/spin.h): the holder is most likely one of them. pthread_spin_trylock and
 * pthread_spin_unlock never wait: they are left to glibc.
 *
 * coverage cooperative: pthread_spin_lock */
#include "shim.h"

#include "spin.h"

#include <pthread.h>

GP_EXPORT_VERSIONS(pthread_spin_lock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_spin_lock(pthread_spinlock_t *lock)
{
    if (!gp_cooperative())
        return gp__real.pthread_spin_lock(lock);
    int saved = errno;
    return gp_return_error(gp__spin_lock(lock), saved);
}
