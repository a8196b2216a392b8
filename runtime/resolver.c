/* See resolver.h. */
#include "resolver.h"

#include "pool.h"
#include "real.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The size glibc's gethostbyname starts its buffer with (NSS_BUFLEN_HOSTS). */
enum { HOST_BUFFER_FIRST = 1024 };

/* t's state: a spawned thread's is at the top of its stack (gp__sched_spawn); main's is
 * made when main first asks for gethostbyname's storage. */
static struct gp_resolver_thread *thread_data(struct gp_thread *t)
{
    if (!t->resolver)
        t->resolver = calloc(1, sizeof *t->resolver);
    return t->resolver;
}

/* Where glibc's __resp lives relative to the thread pointer: libc's thread variables are
 * in the static TLS block, at the same offset in every thread. 0: not looked up yet; 1: libc
 * has no __resp. */
static intptr_t resp_offset;

/* The address of the calling OS thread's __resp, glibc's pointer to the thread's resolver
 * state (what __res_state() returns and every lookup uses); NULL when libc has none. */
static struct __res_state **resp_slot(void)
{
    intptr_t offset = __atomic_load_n(&resp_offset, __ATOMIC_RELAXED);
    if (offset == 0) {
        /* dlsym gives a thread variable's address in the thread that asks. */
        char *own = dlvsym(RTLD_NEXT, "__resp", "GLIBC_PRIVATE");
        offset = own ? own - (char *)__builtin_thread_pointer() : 1;
        __atomic_store_n(&resp_offset, offset, __ATOMIC_RELAXED);
    }
    return offset == 1 ? NULL
                       : (struct __res_state **)((char *)__builtin_thread_pointer() + offset);
}

/* The scheduler thread's __resp (NULL when libc has none) and its own state, which main
 * keeps; found at the first switch to a thread other than main. */
static struct {
    bool found;
    struct __res_state **slot;
    struct __res_state *main_state;
} live;

void gp__resolver_switched_in(struct gp_thread *t)
{
    if (__builtin_expect(!live.found, 0)) {
        live.slot = resp_slot();
        live.main_state = live.slot ? *live.slot : NULL;
        live.found = true;
    }
    if (!live.slot)
        return;
    /* A spawned thread's state is at the top of its stack: never missing. */
    *live.slot = t->is_main ? live.main_state : &t->resolver->res;
}

void gp__resolver_forget_thread(struct gp_thread *t)
{
    struct gp_resolver_thread *d = t->resolver;
    if (!d)
        return;
    /* What glibc does for a thread's _res when the thread exits: sockets closed, the
     * extended state freed (the next thread to run installs its own state). A state never
     * initialised has no sockets: its zeroes would name fd 0. */
    if (!t->is_main && (d->res.options & RES_INIT))
        res_nclose(&d->res);
    free(d->buffer);
    if (t->is_main)
        free(d); /* the others' is part of their stack */
    t->resolver = NULL;
}

struct lookup_job {
    long (*fn)(void *);
    void *arg;
    struct __res_state *state; /* the caller's */
    int h_errno_value;         /* in: the caller's; out: what the call left */
    int errno_value;           /* out */
};

/* Runs on a worker, or on the caller's OS thread when the pool runs the job inline (the
 * caller's state is installed there already). */
static long run_lookup(void *p)
{
    struct lookup_job *j = p;
    struct __res_state **slot = resp_slot();
    struct __res_state *own = slot ? *slot : NULL;
    if (slot)
        *slot = j->state;
    h_errno = j->h_errno_value;
    long r = j->fn(j->arg);
    j->h_errno_value = h_errno;
    j->errno_value = errno;
    if (slot)
        *slot = own;
    return r;
}

long gp__resolver_call(long (*fn)(void *arg), void *arg, struct gp_lookup *left)
{
    struct lookup_job j = {.fn = fn, .arg = arg, .state = __res_state(), .h_errno_value = h_errno};
    long r = gp__pool_call(run_lookup, &j);
    left->h_errno_value = j.h_errno_value;
    left->errno_value = j.errno_value;
    return r;
}

bool gp__resolver_numeric(const char *node, const char *service, const struct addrinfo *hints)
{
    if (hints && (hints->ai_flags & AI_CANONNAME))
        return false;
    if (service && (!*service || service[strspn(service, "0123456789")] != 0))
        return false;
    unsigned char address[sizeof(struct in6_addr)];
    return !node || inet_pton(AF_INET, node, address) == 1 ||
           inet_pton(AF_INET6, node, address) == 1;
}

/* The reentrant call q stands for. */
static int host_r(const struct gp_host_query *q, struct hostent *ret, char *buf, size_t buflen,
                  struct hostent **result, int *h_errnop)
{
    if (!q->name)
        return gp__real.gethostbyaddr_r(q->addr, q->len, q->af, ret, buf, buflen, result,
                                        h_errnop);
    if (q->by_name2)
        return gp__real.gethostbyname2_r(q->name, q->af, ret, buf, buflen, result, h_errnop);
    return gp__real.gethostbyname_r(q->name, ret, buf, buflen, result, h_errnop);
}

struct host_r_job {
    const struct gp_host_query *q;
    struct hostent *ret;
    char *buf;
    size_t buflen;
    struct hostent **result;
    int *h_errnop;
};

static long host_r_call(void *p)
{
    struct host_r_job *j = p;
    return host_r(j->q, j->ret, j->buf, j->buflen, j->result, j->h_errnop);
}

int gp__resolver_host_r(const struct gp_host_query *q, struct hostent *ret, char *buf,
                        size_t buflen, struct hostent **result, int *h_errnop,
                        struct gp_lookup *left)
{
    struct host_r_job j = {q, ret, buf, buflen, result, h_errnop};
    return (int)gp__resolver_call(host_r_call, &j, left);
}

struct host_job {
    const struct gp_host_query *q;
    struct gp_resolver_thread *d;
    struct hostent *result;
};

/* The reentrant call into the thread's storage, with a buffer that grows while the call
 * says it is too small, as glibc's own gethostbyname does. */
static long host_call(void *p)
{
    struct host_job *j = p;
    struct gp_resolver_thread *d = j->d;
    if (!d->buffer) {
        d->buffer = malloc(HOST_BUFFER_FIRST);
        d->buffer_size = d->buffer ? HOST_BUFFER_FIRST : 0;
    }
    for (char *bigger = d->buffer; bigger; bigger = realloc(d->buffer, d->buffer_size * 2)) {
        if (bigger != d->buffer) {
            d->buffer = bigger;
            d->buffer_size *= 2;
        }
        int h_err = 0;
        int r = host_r(j->q, &d->host, d->buffer, d->buffer_size, &j->result, &h_err);
        if (r != ERANGE || h_err != NETDB_INTERNAL) {
            /* glibc's gethostbyname sets h_errno only to what the lookup reported. */
            if (h_err != 0)
                h_errno = h_err;
            return 0;
        }
    }
    j->result = NULL;
    h_errno = NETDB_INTERNAL;
    errno = ENOMEM;
    return 0;
}

struct hostent *gp__resolver_host(const struct gp_host_query *q, struct gp_lookup *left)
{
    struct host_job j = {.q = q, .d = thread_data(gp__current)};
    if (!j.d) {
        *left = (struct gp_lookup){.h_errno_value = NETDB_INTERNAL, .errno_value = ENOMEM};
        return NULL;
    }
    gp__resolver_call(host_call, &j, left);
    return j.result;
}
