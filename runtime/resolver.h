/* Name resolution in the worker pool. glibc resolves names with calls no interposer sees
 * (its own sockets, its own reads of /etc/hosts), so each lookup runs whole on a worker
 * while the calling green thread parks.
 *
 * What glibc keeps per thread goes with the lookup. glibc keeps the resolver state (_res:
 * name servers, options, search list) per thread, and programs change it (old ones pick
 * their name server that way). As natively, each green thread has a state of its own: main
 * keeps libc's _res, every other one gets one of its own, empty as a new thread's, and the
 * scheduler installs the running green thread's as its OS thread's (glibc's thread
 * variable __resp, which __res_state() and every resolver function use). A lookup job
 * installs the caller's state on the worker for its duration. h_errno is set on the worker
 * to the caller's value before the call and comes back with errno afterwards.
 * gethostbyname, gethostbyname2 and gethostbyaddr return storage of the calling green
 * thread's (glibc's static result would be shared by the concurrent lookups of all green
 * threads).
 *
 * The state is switched through glibc's thread variable __resp (GLIBC_PRIVATE, checked
 * against glibc 2.36); where it is missing, a lookup uses the worker's own state, which is
 * read from /etc/resolv.conf. */
#ifndef GP_RESOLVER_H
#define GP_RESOLVER_H

#include "scheduler.h"

#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>

/* What the resolver keeps for one green thread. A spawned thread's lives at the top of its
 * stack, zeroed at spawn (gp__sched_spawn): in the page the thread's first frames touch, it
 * costs neither a page nor an allocation. (It cannot wait for the thread's first lookup:
 * glibc reads the running thread's state through __resp in calls no interposer sees,
 * res_init and res_mkquery among them, and a program reaches it through _res.) */
struct gp_resolver_thread {
    struct __res_state res; /* this thread's _res; unused for main, whose _res is libc's */
    struct hostent host;    /* the last result of gethostbyname, gethostbyname2, gethostbyaddr */
    char *buffer;           /* host's names and addresses, malloc'd */
    size_t buffer_size;
};

/* What a lookup left behind on the thread that made it. */
struct gp_lookup {
    int h_errno_value;
    int errno_value;
};

/* Runs fn(arg), a call into glibc's resolver, in the pool with the calling green thread's
 * resolver state and h_errno, and returns what fn returned. */
long gp__resolver_call(long (*fn)(void *arg), void *arg, struct gp_lookup *left);

/* Whether getaddrinfo(node, service, hints) needs no lookup at all, so that it runs in place
 * instead of in the pool: node is NULL or a numeric IPv4 or IPv6 address, service NULL or a
 * port number, and no canonical name is asked for. glibc 2.36 answers such a call by parsing
 * (text_to_binary_address, strtoul) and asking the kernel (AI_ADDRCONFIG's netlink query;
 * with several results, the source addresses of connected UDP sockets for the RFC 3484 sort,
 * after one read of /etc/gai.conf): nothing waits on a name server or the network. This is
 * the "127.0.0.1" that every client library's connect resolves: hiredis and libpq under a
 * thousand green threads would otherwise fill the pool with workers that parse an address. */
bool gp__resolver_numeric(const char *node, const char *service, const struct addrinfo *hints);

/* A host lookup: gethostbyname (af AF_INET, by_name2 false), gethostbyname2 (by_name2
 * true) or, with name NULL, gethostbyaddr(addr, len, af). */
struct gp_host_query {
    const char *name;
    bool by_name2;
    const void *addr;
    socklen_t len;
    int af;
};
/* The non-reentrant call, into the calling green thread's storage. */
struct hostent *gp__resolver_host(const struct gp_host_query *q, struct gp_lookup *left);
/* gethostbyname_r, gethostbyname2_r or gethostbyaddr_r (as q says) with the caller's
 * storage; returns their error number. */
int gp__resolver_host_r(const struct gp_host_query *q, struct hostent *ret, char *buf,
                        size_t buflen, struct hostent **result, int *h_errnop,
                        struct gp_lookup *left);

/* t becomes the owner of the OS thread's per-thread state (tls.h, gp__tls_install):
 * installs t's resolver state as the OS thread's. */
void gp__resolver_switched_in(struct gp_thread *t);

/* A green thread exits: what the resolver kept for it goes. */
void gp__resolver_forget_thread(struct gp_thread *t);

#endif
