/* Name and service lookups without stalling other green threads: each runs in the worker
 * pool with the caller's resolver state (resolver.h), except a getaddrinfo of a numeric
 * address and port, which needs no lookup and runs in place (gp__resolver_numeric). The lists getaddrinfo returns are
 * malloc'd: freeaddrinfo frees them on any thread.
 * Interposes: getaddrinfo, getnameinfo.
 * coverage pool: getaddrinfo getnameinfo */
#include "lookup.h"

#include <sys/socket.h>

struct getaddrinfo_args {
    const char *node, *service;
    const struct addrinfo *hints;
    struct addrinfo **res;
};

static long getaddrinfo_call(void *p)
{
    struct getaddrinfo_args *a = p;
    return gp__real.getaddrinfo(a->node, a->service, a->hints, a->res);
}

GP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    gp__cancel_point();
    if (!gp_cooperative() || gp__resolver_numeric(node, service, hints))
        return gp__real.getaddrinfo(node, service, hints, res);
    int saved = errno;
    struct getaddrinfo_args a = {node, service, hints, res};
    struct gp_lookup left;
    int r = (int)gp__resolver_call(getaddrinfo_call, &a, &left);
    gp_lookup_done(&left, r != 0, saved);
    return r;
}

struct getnameinfo_args {
    const struct sockaddr *addr;
    socklen_t addrlen;
    char *host;
    socklen_t hostlen;
    char *serv;
    socklen_t servlen;
    int flags;
};

static long getnameinfo_call(void *p)
{
    struct getnameinfo_args *a = p;
    return gp__real.getnameinfo(a->addr, a->addrlen, a->host, a->hostlen, a->serv, a->servlen,
                                a->flags);
}

GP_EXPORT int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                          socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
    int saved = errno;
    struct getnameinfo_args a = {addr, addrlen, host, hostlen, serv, servlen, flags};
    struct gp_lookup left;
    int r = (int)gp__resolver_call(getnameinfo_call, &a, &left);
    gp_lookup_done(&left, r != 0, saved);
    return r;
}
