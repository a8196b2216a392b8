/* Host lookups without stalling other green threads: each runs in the worker pool with
 * the caller's resolver state and h_errno (resolver.h). There gethostbyname,
 * gethostbyname2 and gethostbyaddr return storage of the calling green thread's, valid until
 * its next call of one of the three (natively: until any thread's next call).
 * Interposes: gethostbyname, gethostbyname2, gethostbyaddr, gethostbyname_r,
 * gethostbyname2_r, gethostbyaddr_r.
 * coverage pool: gethostbyname gethostbyname2 gethostbyaddr gethostbyname_r
 * coverage pool: gethostbyname2_r gethostbyaddr_r */
#include "lookup.h"

#include <sys/socket.h>

static struct hostent *host_lookup(const struct gp_host_query *q)
{
    int saved = errno;
    struct gp_lookup left;
    struct hostent *h = gp__resolver_host(q, &left);
    gp_lookup_done(&left, !h, saved);
    return h;
}

GP_EXPORT struct hostent *gethostbyname(const char *name)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyname(name);
    return host_lookup(&(struct gp_host_query){.name = name, .af = AF_INET});
}

GP_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyname2(name, af);
    return host_lookup(&(struct gp_host_query){.name = name, .by_name2 = true, .af = af});
}

GP_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyaddr(addr, len, type);
    return host_lookup(&(struct gp_host_query){.addr = addr, .len = len, .af = type});
}

/* The reentrant calls return an error number; errno is set as they set it, on failure. */
static int host_r_lookup(const struct gp_host_query *q, struct hostent *ret, char *buf,
                         size_t buflen, struct hostent **result, int *h_errnop)
{
    int saved = errno;
    struct gp_lookup left;
    int r = gp__resolver_host_r(q, ret, buf, buflen, result, h_errnop, &left);
    gp_lookup_done(&left, r != 0, saved);
    return r;
}

GP_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                              struct hostent **result, int *h_errnop)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    return host_r_lookup(&(struct gp_host_query){.name = name, .af = AF_INET}, ret, buf, buflen,
                         result, h_errnop);
}

GP_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                               size_t buflen, struct hostent **result, int *h_errnop)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    return host_r_lookup(&(struct gp_host_query){.name = name, .by_name2 = true, .af = af}, ret,
                         buf, buflen, result, h_errnop);
}

GP_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                              char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
    return host_r_lookup(&(struct gp_host_query){.addr = addr, .len = len, .af = type}, ret,
                         buf, buflen, result, h_errnop);
}
