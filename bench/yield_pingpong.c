/* What a green switch costs, for the blocking detector's cost (scripts/bench-detector): two
 * threads call sched_yield in turn, so that under the shim every call is one switch to the
 * other (and one in 64 goes through the hub), and a pipe ping-pong between two threads, where
 * every round trip parks and wakes through the hub's poll. Prints "name nanoseconds-per-op"
 * lines, the median of ROUNDS rounds.
 * Usage: yield_pingpong */
#include "bench.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { YIELDS = 500000, ROUND_TRIPS = 50000, ROUNDS = 7 };

static int requests[2], replies[2];

static void *yielder(void *unused)
{
    (void)unused;
    for (int i = 0; i < YIELDS; i++)
        sched_yield();
    return NULL;
}

static void *replier(void *unused)
{
    (void)unused;
    int v;
    while (read(requests[0], &v, sizeof v) == sizeof v)
        if (write(replies[1], &v, sizeof v) != sizeof v)
            exit(1);
    return NULL;
}

/* Nanoseconds per sched_yield, with two yielding threads. */
static double yield_round(void)
{
    pthread_t a, b;
    double start = now_ns();
    if (pthread_create(&a, NULL, yielder, NULL) || pthread_create(&b, NULL, yielder, NULL))
        exit(1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return (now_ns() - start) / (2.0 * YIELDS);
}

/* Nanoseconds per round trip over two pipes. */
static double pipe_round(void)
{
    if (pipe(requests) || pipe(replies))
        exit(1);
    pthread_t r;
    if (pthread_create(&r, NULL, replier, NULL))
        exit(1);
    double start = now_ns();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        int v = i;
        if (write(requests[1], &v, sizeof v) != sizeof v ||
            read(replies[0], &v, sizeof v) != sizeof v || v != i)
            exit(1);
    }
    double ns = (now_ns() - start) / ROUND_TRIPS;
    close(requests[1]);
    pthread_join(r, NULL);
    close(requests[0]);
    close(replies[0]);
    close(replies[1]);
    return ns;
}

int main(void)
{
    printf("sched_yield %.1f\n", median_of(yield_round, ROUNDS));
    printf("pipe_round_trip %.1f\n", median_of(pipe_round, ROUNDS));
    return 0;
}
