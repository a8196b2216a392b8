/* The coverage table (docs/coverage.md) against the code: every call of
 * shim/blocking-calls.txt is interposed (a "coverage" line in shim/) and exported, or on
 * shim/pass-through.txt with a reason, and the committed table is the generated one. */
#include "harness.h"

#include <criterion/criterion.h>

Test(coverage, every_blocking_call_is_handled_and_the_table_is_current, .timeout = 60)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 50};
    const char *args[] = {"--check", shim_library_path(), NULL};
    struct run_result r;
    run_program(&r, &opts, script_path("coverage"), args);
    cr_expect_eq(r.exit_code, 0, "scripts/coverage --check:\n%s%s", r.out, r.err);
    run_result_free(&r);
}
