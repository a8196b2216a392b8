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
    struct run_opts opts = {.mode = mode, .env = pool_of_4, .timeout_s = 30};
    struct run_result r;
    run_program(&r, &opts, prog_path(prog), NULL);
    cr_expect_eq(r.exit_code, 0, "%s: exit %d (signal %d)\n%s", prog, r.exit_code,
                 r.term_signal, r.err);
    cr_expect_str_eq(r.out, want, "%s: stderr:\n%s", prog, r.err);
    run_result_free(&r);
}

/* In the ASan build the library needs the sanitizer runtimes that only the preload list
 * brings: the programs are run only that way there. */
#define SKIP_UNLESS_PLAIN_BUILD()                                                             \
    if (sanitized_build())                                                                    \
        cr_skip_test("the ASan library is run through the preload list only")

Test(api, linked_program_runs_green_threads)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "api_user", expected);
}

Test(api, linked_program_under_the_preload_too) { check(RUN_SHIM, "api_user", expected); }

Test(api, offload_runs_on_a_worker_while_green_threads_go_on)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "api_offload", offload_expected);
}

Test(api, offload_under_the_preload_too) { check(RUN_SHIM, "api_offload", offload_expected); }
