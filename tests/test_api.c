/* The explicit API from a program linked with -lgreenpatch (tests/progs/api_user.c): on
 * its own, and under the preload of the same library. */
#include "harness.h"

#include <criterion/criterion.h>

static const char expected[] = "before any spawn, gp_self: NULL\n"
                               "yields: abcabcabc\n"
                               "main is a green thread now: yes\n"
                               "sleepers woke in order: 123\n"
                               "each thread's gp_self was its handle: yes\n"
                               "joining oneself: Resource deadlock avoided\n";

static void check(enum run_mode mode)
{
    struct run_opts opts = {.mode = mode, .timeout_s = 30};
    struct run_result r;
    run_program(&r, &opts, prog_path("api_user"), NULL);
    cr_expect_eq(r.exit_code, 0, "exit %d (signal %d)\n%s", r.exit_code, r.term_signal, r.err);
    cr_expect_str_eq(r.out, expected, "stderr:\n%s", r.err);
    run_result_free(&r);
}

Test(api, linked_program_runs_green_threads)
{
    /* In the ASan build the library needs the sanitizer runtimes that only the preload
     * list brings. */
    if (sanitized_build())
        cr_skip_test("the ASan library is run through the preload list only");
    check(RUN_NATIVE);
}

Test(api, linked_program_under_the_preload_too) { check(RUN_SHIM); }
