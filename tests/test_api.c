/* The explicit API from a program linked with -lgreenpatch (tests/progs/api_user.c): on
 * its own, and under the preload of the same library. */
#include "harness.h"

#include <criterion/criterion.h>

static const char expected[] = "before any spawn, gp_self: none\n"
                               "yields: abcabcabc\n"
                               "main is a green thread now: yes\n"
                               "sleepers woke in order: 123\n"
                               "each thread's gp_self was its handle: yes\n"
                               "joining oneself: Resource deadlock avoided\n";

static const char offload_expected[] =
    "before any spawn, runs on the caller's OS thread: yes\n"
    "green threads ran during the offload: yes, on another OS thread: yes\n"
    "64 offloads: results right: yes, within GREENPATCH_POOL_SIZE: yes\n"
    "a fork child offloads to a pool of its own: yes\n";

static const char *const pool_of_4[] = {"GREENPATCH_POOL_SIZE=4", NULL};

static void check(enum run_mode mode, const char *prog, const char *want)
{
    expect_linked_program(mode, prog_path(prog), pool_of_4, want);
}

Test(api, linked_program_runs_green_threads)
{
    check(RUN_NATIVE, "api_user", expected);
}

Test(api, linked_program_under_the_preload_too) { check(RUN_SHIM, "api_user", expected); }

Test(api, offload_runs_on_a_worker_while_green_threads_go_on)
{
    check(RUN_NATIVE, "api_offload", offload_expected);
}

Test(api, offload_under_the_preload_too) { check(RUN_SHIM, "api_offload", offload_expected); }
