/* Shared by the interposed name lookups (getaddrinfo.c, gethostbyname.c, res_query.c).
 *
 * They are cancellation points, as glibc's are where they talk to a name server: at their
 * entry (gp__cancel_point, first thing) and, once the lookup has come back from the worker
 * pool (the job lives on the caller's stack), when it failed (gp_lookup_done). */
#ifndef GP_SHIM_LOOKUP_H
#define GP_SHIM_LOOKUP_H

#include "shim.h"

#include "cancel.h"
#include "resolver.h"

#include <netdb.h>

/* The end of every lookup: h_errno as the call left it; errno as the call left it when it
 * failed (getaddrinfo's EAI_SYSTEM, gethostbyname_r's ERANGE), else as the program had it.
 * The one place the lookups set errno. */
static inline void gp_lookup_done(const struct gp_lookup *left, bool failed, int saved_errno)
{
    if (failed)
        gp__cancel_point();
    h_errno = left->h_errno_value;
    errno = failed ? left->errno_value : saved_errno;
}

#endif
