/* getaddrinfo of numeric addresses and ports, the "127.0.0.1" that client libraries
 * (hiredis, libpq, Python's socket module) resolve on every connect, made by many threads at
 * once. glibc answers these without a lookup, so under the shim they run in place: no worker
 * thread is started for them, and the OS thread count while all threads are alive stays 1.
 * Thread 0 prints every answer; the others check that theirs are the same. */
#include "resolve_print.h"
#include "thread_prog.h"

#include <stdatomic.h>

enum { THREADS = 8 };

struct lookup {
    const char *node, *service;
    int family, socktype, flags;
};

static const struct lookup lookups[] = {
    {"127.0.0.1", "6379", AF_INET, SOCK_STREAM, 0},
    {"::1", "5432", AF_INET6, SOCK_STREAM, AI_NUMERICHOST | AI_NUMERICSERV},
    {"127.0.0.1", NULL, AF_UNSPEC, 0, 0},
    {NULL, "8080", AF_INET, SOCK_STREAM, AI_PASSIVE},
    {"127.0.0.1", "80", AF_INET, SOCK_STREAM, AI_ADDRCONFIG},
    {"::ffff:127.0.0.1", "0", AF_INET6, SOCK_DGRAM, 0},
};

static pthread_barrier_t start, looked_up, done, counted;
static atomic_int differences;

/* The answer in a form to compare: result count and first address and port. */
static void summary(char *buf, size_t size, int r, struct addrinfo *res)
{
    int n = 0;
    for (struct addrinfo *ai = res; r == 0 && ai; ai = ai->ai_next)
        n++;
    char address[INET6_ADDRSTRLEN] = "";
    if (r == 0 && res->ai_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, address, sizeof address);
    else if (r == 0 && res->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, address,
                  sizeof address);
    snprintf(buf, size, "%d %d %s", r, n, address);
}

static void *resolver(void *arg)
{
    int id = (int)(intptr_t)arg;
    static char first[sizeof lookups / sizeof lookups[0]][128];
    pthread_barrier_wait(&start);
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        const struct lookup *l = &lookups[i];
        struct addrinfo hints = {.ai_family = l->family, .ai_socktype = l->socktype,
                                 .ai_flags = l->flags},
                        *res = NULL;
        int r = getaddrinfo(l->node, l->service, &hints, &res);
        char mine[128];
        summary(mine, sizeof mine, r, res);
        if (id == 0) {
            char what[160];
            snprintf(what, sizeof what, "getaddrinfo(%s, %s, family %d, socktype %d, flags %#x)",
                     l->node ? l->node : "NULL", l->service ? l->service : "NULL", l->family,
                     l->socktype, (unsigned)l->flags);
            print_addrinfo(what, r, res);
            snprintf(first[i], sizeof first[i], "%s", mine);
        }
        if (r == 0)
            freeaddrinfo(res);
        /* Thread 0 has written first[i] before the barrier below; compare afterwards. */
        pthread_barrier_wait(&looked_up);
        if (strcmp(mine, first[i]) != 0)
            atomic_fetch_add(&differences, 1);
        pthread_barrier_wait(&looked_up);
    }
    pthread_barrier_wait(&done);
    pthread_barrier_wait(&counted);
    return NULL;
}

int main(void)
{
    alarm(10);
    must_succeed(pthread_barrier_init(&start, NULL, THREADS), "barrier");
    must_succeed(pthread_barrier_init(&looked_up, NULL, THREADS), "barrier");
    must_succeed(pthread_barrier_init(&done, NULL, THREADS + 1), "barrier");
    must_succeed(pthread_barrier_init(&counted, NULL, THREADS + 1), "barrier");
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, resolver, (void *)(intptr_t)i);
    /* Every lookup is done; every thread is still alive. */
    pthread_barrier_wait(&done);
    report_os_threads("lookups-done");
    pthread_barrier_wait(&counted);
    for (int i = 0; i < THREADS; i++)
        join_or_die(threads[i]);
    printf("%d threads made the same lookups and got the same answers: %s\n", THREADS,
           yes_no(atomic_load(&differences) == 0));
    return atomic_load(&differences) == 0 ? 0 : 1;
}
