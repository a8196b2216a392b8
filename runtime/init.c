/* See init.h. */
#include "init.h"

#include "config.h"
#include "inherit.h"
#include "inspect.h"
#include "log.h"
#include "real.h"
#include "stats.h"

#include <errno.h>

bool gp__ready;

/* Which release a library file is (`strings libgreenpatch.so | grep '^libgreenpatch '`): the
 * version comes from the VERSION file, as the wrapper's --version and the pkg-config file. */
__attribute__((used)) static const char version_ident[] = "libgreenpatch " GP_VERSION;

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
    if (gp__config.no_inherit)
        gp__inherit_stop();
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
