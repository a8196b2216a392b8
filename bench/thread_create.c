/* Thread create + join in an unmodified program (issue 6, benchmark 3): the main thread
 * creates a thread and joins it, ITERATIONS times ("single"), or creates BATCH threads and
 * then joins them all ("batch"), with default attributes. Each thread returns its argument
 * plus one, which the joiner checks (exit status 1 on a wrong result or a failed call).
 * Prints "ns NS": nanoseconds per create + join, after a warm-up of a tenth of the loop.
 * Usage: thread_create single|batch [ITERATIONS]   (default 20000; batch rounds it up to
 * whole batches) */
#include "bench.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 100 };

static void *run(void *arg) { return (void *)((uintptr_t)arg + 1); }

static void create(pthread_t *t, uintptr_t i)
{
    int r = pthread_create(t, NULL, run, (void *)i);
    if (r != 0) {
        fprintf(stderr, "pthread_create: %s\n", strerror(r));
        exit(1);
    }
}

static void join(pthread_t t, uintptr_t i)
{
    void *result;
    int r = pthread_join(t, &result);
    if (r != 0 || (uintptr_t)result != i + 1) {
        fprintf(stderr, "pthread_join: %s, result %p for %ju\n", strerror(r), result,
                (uintmax_t)i);
        exit(1);
    }
}

/* Runs n create + join pairs in the chosen shape. */
static void loop(int batch, long n)
{
    if (!batch) {
        for (long i = 0; i < n; i++) {
            pthread_t t;
            create(&t, (uintptr_t)i);
            join(t, (uintptr_t)i);
        }
        return;
    }
    pthread_t t[BATCH];
    for (long done = 0; done < n; done += BATCH) {
        for (int i = 0; i < BATCH; i++)
            create(&t[i], (uintptr_t)i);
        for (int i = 0; i < BATCH; i++)
            join(t[i], (uintptr_t)i);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "single") && strcmp(argv[1], "batch"))) {
        fprintf(stderr, "usage: thread_create single|batch [ITERATIONS]\n");
        return 2;
    }
    int batch = strcmp(argv[1], "batch") == 0;
    long n = argc > 2 ? atol(argv[2]) : 20000;
    if (batch)
        n = (n + BATCH - 1) / BATCH * BATCH;
    loop(batch, batch ? BATCH : n / 10 + 1);
    double start = now_ns();
    loop(batch, n);
    printf("ns %.1f\n", (now_ns() - start) / n);
    return 0;
}
