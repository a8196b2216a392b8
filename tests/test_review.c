/* Bugs found by reviewing how the areas of issue 3 fit together, each reduced to a helper
 * program (tests/progs/review_*.c) that runs natively and under the shim with the same
 * output. */
#include "harness.h"

#include <criterion/criterion.h>

/* A handler that runs at once (signals.c) and gets "not yet" (EAGAIN from a full
 * non-blocking self-pipe) must not yield: it may have interrupted the scheduler in the
 * middle of its run queue. It hung the program under the shim. */
static const char handler_yield_out[] =
    "pipe full: EAGAIN\n"
    "handler writes: EAGAIN\n"
    "done\n";

Test(review, a_not_yet_answer_in_a_signal_handler_does_not_switch_threads, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "review_handler_yield", NULL, NULL, handler_yield_out, 0);
    run_pair_free(&pair);
}
