/* Yielding the processor.
 * Interposes: sched_yield.
 *
 * A green thread yields to the other green threads (and, every so many switches, to the
 * hub, which looks at I/O and timers), so that a thread that spins on sched_yield until
 * another thread of the program has done something lets it run. Alone, it yields the OS
 * thread to other processes as natively.
 *
 * coverage cooperative: sched_yield */
#include "shim.h"

#include <sched.h>

GP_EXPORT int sched_yield(void)
{
    if (!gp_cooperative())
        return gp__real.sched_yield();
    gp__sched_yield();
    return 0;
}
