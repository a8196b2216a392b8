/* See init.h. */
#include "init.h"

#include "config.h"
#include "real.h"

bool gp__ready;

bool gp__init_slow(void)
{
    if (!gp__real_resolve())
        return false;
    /* Reading the settings calls into libc, which may come back through the shim: the
     * table is ready by then, and that call needs nothing more. */
    static __thread bool loading;
    if (loading)
        return true;
    loading = true;
    gp__config_load();
    loading = false;
    __atomic_store_n(&gp__ready, true, __ATOMIC_RELEASE);
    return true;
}

/* Priority 101: before constructors of the program's own code in this object's order; a
 * bad setting must stop the process before main and before any program constructor
 * could start threads. */
__attribute__((constructor(101))) static void init_at_load(void) { gp__init(); }
