/* Spinlocks.
 * Interposes: pthread_spin_lock, pthread_spin_trylock.
 *
 * A green thread that finds the lock taken lets the other green threads run between its
 * tries (runtime/spin.h): the holder is most likely one of them. pthread_spin_trylock is
 * glibc's, and its "not yet" (EBUSY) lets the others run first (shim.h), as a program may
 * try in a loop. pthread_spin_unlock never waits: it is left to glibc.
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

GP_EXPORT_VERSIONS(pthread_spin_trylock, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_pthread_spin_trylock(pthread_spinlock_t *lock)
{
    if (!gp_cooperative())
        return gp__real.pthread_spin_trylock(lock);
    int saved = errno;
    return gp_return_error(-gp__real.pthread_spin_trylock(lock), saved);
}
