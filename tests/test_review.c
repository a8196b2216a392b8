/* Bugs found by reviewing how the areas of issue 3 fit together, each reduced to a helper
 * program (tests/progs/review_*.c) that runs natively and under the shim with the same
 * output. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>

/* A handler that runs at once (signals.c) and gets "not yet" (EAGAIN from a full
 * non-blocking self-pipe, waitpid WNOHANG for a running child, poll with a zero timeout, a
 * nanosleep of no time) must not yield: it may have interrupted the scheduler in the middle
 * of its run queue. Each hung the program under the shim. */
static void expect_no_yield_in_handler(const char *call)
{
    char out[128];
    snprintf(out, sizeof out, "pipe full: EAGAIN\n%s in the handler: not yet\ndone\n", call);
    const char *const args[] = {call, NULL};
    struct run_pair pair;
    run_both_expect(&pair, "review_handler_yield", args, NULL, out, 0);
    run_pair_free(&pair);
}

Test(review, eagain_in_a_signal_handler_does_not_switch_threads, .timeout = 40)
{
    expect_no_yield_in_handler("write");
}

Test(review, waitpid_wnohang_in_a_signal_handler_does_not_switch_threads, .timeout = 40)
{
    expect_no_yield_in_handler("waitpid");
}

Test(review, poll_zero_timeout_in_a_signal_handler_does_not_switch_threads, .timeout = 40)
{
    expect_no_yield_in_handler("poll");
}

Test(review, zero_nanosleep_in_a_signal_handler_does_not_switch_threads, .timeout = 40)
{
    expect_no_yield_in_handler("nanosleep");
}

/* pthread_cancel of a thread in pthread_join that a signal made runnable only to run its
 * handler (and that parks again after it) cancels the join, as natively: the request was
 * lost and the join went on until the joined thread ended (here: never, a deadlock). */
static const char cancel_after_signal_out[] =
    "join of the joiner: 0, cancelled\n"
    "done\n";

Test(review, a_cancel_right_after_a_signal_ends_a_join, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "review_cancel_after_signal", NULL, NULL, cancel_after_signal_out, 0);
    run_pair_free(&pair);
}
