/* Benchmark 1 of the suite (scripts/bench-switch): what a green switch costs through the
 * public API, next to the bare boost.context jump it is built on.
 *   jump       two fcontexts jumping to each other (jump_fcontext, linked statically as
 *              runtime/fiber.c is): the floor
 *   gp_yield   two green threads (gp_spawn) calling gp_yield in turn: every call is one
 *              switch to the other thread, with all that the scheduler does on a switch
 * Prints "name ns-per-switch" lines, each the median of ROUNDS rounds.
 * Usage: green_switch */
#include "bench.h"
#include "fiber.h" /* boost.context's jump_fcontext and make_fcontext, as the runtime declares them */
#include "greenpatch.h"

#include <stdio.h>
#include <stdlib.h>

enum { SWITCHES = 2000000, ROUNDS = 7, STACK_BYTES = 64 * 1024 };

static void bouncer(struct gp_transfer t)
{
    for (;;)
        t = jump_fcontext(t.fctx, NULL);
}

/* ns per jump: the main context and a bouncer jump to each other SWITCHES times in all. */
static double jump_round(void)
{
    static char stack[STACK_BYTES] __attribute__((aligned(64)));
    gp_fcontext other = make_fcontext(stack + sizeof stack, sizeof stack, bouncer);
    double start = now_ns();
    for (int i = 0; i < SWITCHES / 2; i++)
        other = jump_fcontext(other, NULL).fctx;
    return (now_ns() - start) / SWITCHES;
}

static void *yielder(void *unused)
{
    (void)unused;
    for (int i = 0; i < SWITCHES / 2; i++)
        gp_yield();
    return NULL;
}

/* ns per switch between two green threads that yield to each other. */
static double yield_round(void)
{
    gp_thread_t a, b;
    if (gp_spawn(&a, yielder, NULL) || gp_spawn(&b, yielder, NULL))
        exit(1);
    double start = now_ns();
    if (gp_join(a, NULL) || gp_join(b, NULL))
        exit(1);
    return (now_ns() - start) / SWITCHES;
}

int main(void)
{
    printf("jump %.2f\n", median_of(jump_round, ROUNDS));
    printf("gp_yield %.2f\n", median_of(yield_round, ROUNDS));
    return 0;
}
