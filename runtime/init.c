/* See init.h. */
#include "init.h"

#include "config.h"
#include "inspect.h"
#include "log.h"
#include "real.h"
#include "stats.h"

#include <errno.h>

bool gp__ready;

bool gp__init_slow(void)
{
    /* Initialisation may run lazily inside any interposed call: it must leave errno as the
     * program had it. */
    int saved = errno;
    if (!gp__real_resolve())
        return false;
    /* Reading the settings calls into libc, which may come back through the shim: the
     * table is ready by then, and that call needs nothing more. */
    static __thread bool loading;
    if (loading)
        return true;
    loading = true;
    gp__config_load();
    gp__log_start();
    gp__inspect_start();
    gp__stats_start();
    loading = false;
    errno = saved;
    __atomic_store_n(&gp__ready, true, __ATOMIC_RELEASE);
    return true;
}

/* At load, so that a bad setting stops the process before main. (Priority orders only the
 * constructors of one object; a call from another library's constructor that comes first
 * initialises lazily through gp__init.) */
__attribute__((constructor(101))) static void init_at_load(void) { gp__init(); }
