/* What the thread-per-connection compat clients share (hiredis_client, postgres_client):
 * each thread has its own connection and counts what it checked and what failed; all wait
 * until every connection is open, so that the server's count of connections and the OS
 * thread count are taken while all exist. */
#ifndef GP_COMPAT_CLIENTS_H
#define GP_COMPAT_CLIENTS_H

#include "../../progs/thread_prog.h"

#include <stdarg.h>

/* The first member of each client's per-thread struct. */
struct client {
    int id;
    unsigned checked;  /* replies or results checked */
    unsigned failures; /* each printed to stderr */
};

static inline __attribute__((format(printf, 2, 3))) void failed(struct client *c,
                                                                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "thread %d: ", c->id);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->failures++;
}

static pthread_barrier_t clients_connected, clients_counted;

/* A client thread, once connected (or failed to): returns when every thread is and main
 * has counted the connections. */
static inline void client_connected(void)
{
    pthread_barrier_wait(&clients_connected);
    pthread_barrier_wait(&clients_counted);
}

/* Runs n client threads, run(&workers[i]) for an array of n structs of size bytes that each
 * begin with a struct client (ids 0 to n-1); once all are connected, reports the OS thread
 * count ("connected") and calls count(ctx) (main's look at the server). Joins them all,
 * adds up what they checked into *checked and returns their failures. */
static inline unsigned run_clients(int n, void *workers, size_t size, void *(*run)(void *),
                                   const pthread_attr_t *attr, void (*count)(void *ctx),
                                   void *ctx, unsigned *checked)
{
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    must_succeed(threads ? 0 : ENOMEM, "calloc");
    must_succeed(pthread_barrier_init(&clients_connected, NULL, (unsigned)n + 1), "barrier");
    must_succeed(pthread_barrier_init(&clients_counted, NULL, (unsigned)n + 1), "barrier");
    for (int i = 0; i < n; i++) {
        struct client *c = (struct client *)((char *)workers + (size_t)i * size);
        c->id = i;
        threads[i] = start_thread(attr, run, c);
    }
    pthread_barrier_wait(&clients_connected);
    count(ctx);
    report_os_threads("connected");
    pthread_barrier_wait(&clients_counted);
    unsigned failures = 0;
    *checked = 0;
    for (int i = 0; i < n; i++) {
        join_or_die(threads[i]);
        const struct client *c = (const struct client *)((char *)workers + (size_t)i * size);
        failures += c->failures;
        *checked += c->checked;
    }
    free(threads);
    return failures;
}

#endif
