/* See spin.h. */
#include "spin.h"

#include "real.h"
#include "scheduler.h"

#include <errno.h>

int gp__spin_lock(pthread_spinlock_t *lock)
{
    int r;
    while ((r = gp__real.pthread_spin_trylock(lock)) == EBUSY)
        gp__sched_yield();
    return -r;
}
