/* What the benchmark programs share: a monotonic clock in nanoseconds and the median of
 * repeated rounds. Header-only: each benchmark is one C file. */
#ifndef GP_BENCH_H
#define GP_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of rounds (at most 64) calls of round. */
static inline double median_of(double (*round)(void), int rounds)
{
    double v[64];
    if (rounds > 64)
        rounds = 64;
    for (int i = 0; i < rounds; i++)
        v[i] = round();
    qsort(v, (size_t)rounds, sizeof v[0], by_value);
    return v[rounds / 2];
}

#endif
