/* The green switch with thread-local storage: an unmodified program whose two threads
 * hand the processor to each other with sched_yield, each touching its own __thread bytes
 * between switches. Under the shim every yield is a switch to the other green thread, so
 * with GREENPATCH_TLS=copy every switch saves one thread's blocks and loads the other's
 * (runtime/tls.h); with GREENPATCH_TLS=shared none does. Built three times (Makefile):
 * tls_yield with no program TLS, tls_yield_1k with 1 KiB, tls_yield_64k with 64 KiB.
 * Prints "switch NS" (nanoseconds per switch, median of ROUNDS rounds) and checks that
 * each thread saw only its own bytes (exit status 1 otherwise).
 * Usage: tls_yield [ITERATIONS]   (run it under the shim: natively it measures the kernel) */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TLS_BYTES
#define TLS_BYTES 0
#endif

enum { ROUNDS = 5 };

#if TLS_BYTES > 0
static __thread unsigned char own[TLS_BYTES];
#endif

static long iterations = 200000;
static int broken;

/* Yields iterations times; with TLS, writes a byte of its own before each yield and
 * checks after it that the byte is still its own. */
static void *yielder(void *arg)
{
    unsigned char mark = (unsigned char)(uintptr_t)arg;
    for (long i = 0; i < iterations; i++) {
#if TLS_BYTES > 0
        size_t at = (size_t)i * 64 % TLS_BYTES;
        own[at] = mark;
        sched_yield();
        if (own[at] != mark)
            broken = 1;
#else
        (void)mark;
        sched_yield();
#endif
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iterations = atol(argv[1]);
    double per_switch[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t other;
        double start = now_ns();
        if (pthread_create(&other, NULL, yielder, (void *)1))
            return 2;
        yielder((void *)2);
        pthread_join(other, NULL);
        per_switch[r] = (now_ns() - start) / (2.0 * iterations);
    }
    qsort(per_switch, ROUNDS, sizeof per_switch[0], by_value);
    printf("switch %.1f\n", per_switch[ROUNDS / 2]);
    if (broken)
        fprintf(stderr, "a thread saw another's thread-local bytes\n");
    return broken;
}
