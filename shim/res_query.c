/* The resolver's own queries without stalling other green threads: each runs in the worker
 * pool with the caller's resolver state and h_errno (resolver.h). They moved from libresolv
 * to libc in glibc 2.34; programs linked before call them by their old __res_* names, which
 * libc keeps under GLIBC_2.2.5.
 * Interposes: res_query, res_search, res_querydomain, res_send, res_nquery, res_nsearch,
 * res_nquerydomain, res_nsend, __res_query, __res_search, __res_querydomain, __res_send,
 * __res_nquery, __res_nsearch, __res_nquerydomain, __res_nsend.
 * coverage pool: res_query res_search res_querydomain res_send res_nquery res_nsearch
 * coverage pool: res_nquerydomain res_nsend __res_query __res_search __res_querydomain
 * coverage pool: __res_send __res_nquery __res_nsearch __res_nquerydomain __res_nsend */
#include "lookup.h"

#include <resolv.h>

enum res_call { RES_QUERY, RES_SEARCH, RES_QUERYDOMAIN, RES_SEND };

/* One call; state NULL: the non-n form, which uses the thread's _res. */
struct res_args {
    enum res_call call;
    struct __res_state *state;
    const char *name, *domain;
    int class_, type;
    const unsigned char *msg;
    int msglen;
    unsigned char *answer;
    int anslen;
};

static long res_call(void *p)
{
    const struct res_args *a = p;
    struct __res_state *s = a->state;
    switch (a->call) {
    case RES_QUERY:
        return s ? gp__real.res_nquery(s, a->name, a->class_, a->type, a->answer, a->anslen)
                 : gp__real.res_query(a->name, a->class_, a->type, a->answer, a->anslen);
    case RES_SEARCH:
        return s ? gp__real.res_nsearch(s, a->name, a->class_, a->type, a->answer, a->anslen)
                 : gp__real.res_search(a->name, a->class_, a->type, a->answer, a->anslen);
    case RES_QUERYDOMAIN:
        return s ? gp__real.res_nquerydomain(s, a->name, a->domain, a->class_, a->type,
                                             a->answer, a->anslen)
                 : gp__real.res_querydomain(a->name, a->domain, a->class_, a->type, a->answer,
                                            a->anslen);
    default:
        return s ? gp__real.res_nsend(s, a->msg, a->msglen, a->answer, a->anslen)
                 : gp__real.res_send(a->msg, a->msglen, a->answer, a->anslen);
    }
}

static int res_lookup(const struct res_args *a)
{
    int saved = errno;
    struct gp_lookup left;
    int r = (int)gp__resolver_call(res_call, (void *)a, &left);
    gp_lookup_done(&left, r < 0, saved);
    return r;
}

GP_EXPORT int res_query(const char *name, int class_, int type, unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_query(name, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_QUERY, .name = name, .class_ = class_,
                                         .type = type, .answer = answer, .anslen = anslen});
}

GP_EXPORT int res_search(const char *name, int class_, int type, unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_search(name, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_SEARCH, .name = name, .class_ = class_,
                                         .type = type, .answer = answer, .anslen = anslen});
}

GP_EXPORT int res_querydomain(const char *name, const char *domain, int class_, int type,
                              unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_querydomain(name, domain, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_QUERYDOMAIN, .name = name, .domain = domain,
                                         .class_ = class_, .type = type, .answer = answer,
                                         .anslen = anslen});
}

GP_EXPORT int res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_send(msg, msglen, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_SEND, .msg = msg, .msglen = msglen,
                                         .answer = answer, .anslen = anslen});
}

GP_EXPORT int res_nquery(res_state state, const char *name, int class_, int type,
                         unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_nquery(state, name, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_QUERY, .state = state, .name = name,
                                         .class_ = class_, .type = type, .answer = answer,
                                         .anslen = anslen});
}

GP_EXPORT int res_nsearch(res_state state, const char *name, int class_, int type,
                          unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_nsearch(state, name, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_SEARCH, .state = state, .name = name,
                                         .class_ = class_, .type = type, .answer = answer,
                                         .anslen = anslen});
}

GP_EXPORT int res_nquerydomain(res_state state, const char *name, const char *domain, int class_,
                               int type, unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_nquerydomain(state, name, domain, class_, type, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_QUERYDOMAIN, .state = state, .name = name,
                                         .domain = domain, .class_ = class_, .type = type,
                                         .answer = answer, .anslen = anslen});
}

GP_EXPORT int res_nsend(res_state state, const unsigned char *msg, int msglen,
                        unsigned char *answer, int anslen)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.res_nsend(state, msg, msglen, answer, anslen);
    return res_lookup(&(struct res_args){.call = RES_SEND, .state = state, .msg = msg,
                                         .msglen = msglen, .answer = answer, .anslen = anslen});
}

/* The names programs linked before glibc 2.34 call (with the attributes glibc's header
 * gives the new names). */
GP_EXPORT int __res_query(const char *, int, int, unsigned char *, int)
    __attribute__((alias("res_query"), copy(res_query)));
GP_EXPORT int __res_search(const char *, int, int, unsigned char *, int)
    __attribute__((alias("res_search"), copy(res_search)));
GP_EXPORT int __res_querydomain(const char *, const char *, int, int, unsigned char *, int)
    __attribute__((alias("res_querydomain"), copy(res_querydomain)));
GP_EXPORT int __res_send(const unsigned char *, int, unsigned char *, int)
    __attribute__((alias("res_send"), copy(res_send)));
GP_EXPORT int __res_nquery(res_state, const char *, int, int, unsigned char *, int)
    __attribute__((alias("res_nquery"), copy(res_nquery)));
GP_EXPORT int __res_nsearch(res_state, const char *, int, int, unsigned char *, int)
    __attribute__((alias("res_nsearch"), copy(res_nsearch)));
GP_EXPORT int __res_nquerydomain(res_state, const char *, const char *, int, int,
                                 unsigned char *, int)
    __attribute__((alias("res_nquerydomain"), copy(res_nquerydomain)));
GP_EXPORT int __res_nsend(res_state, const unsigned char *, int, unsigned char *, int)
    __attribute__((alias("res_nsend"), copy(res_nsend)));
