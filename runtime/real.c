/* See real.h. dlsym(RTLD_NEXT) returns each name's default version, which is the version
 * that a program linked today binds to (pthread_cond_wait@@GLIBC_2.3.2,
 * pthread_create@@GLIBC_2.34): the shim passes every call on to the current ABI. */
#include "real.h"

#include "diag.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

struct gp_real gp__real;

static __thread bool resolving;
static bool resolved;

bool gp__real_resolve(void)
{
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
        return true;
    if (resolving)
        return false;
    resolving = true;
    struct gp_real table;
#define GP_REAL_RESOLVE(ret, name, args)                                                      \
    table.name = (ret(*) args)dlsym(RTLD_NEXT, #name);                                        \
    if (!table.name) {                                                                        \
        gp__diag("libc has no %s; cannot continue", #name);                                   \
        _exit(2);                                                                             \
    }
    GP_REAL_FUNCTIONS(GP_REAL_RESOLVE)
#undef GP_REAL_RESOLVE
    gp__real = table;
    __atomic_store_n(&resolved, true, __ATOMIC_RELEASE);
    resolving = false;
    return true;
}
