/* The examples of the explicit API (examples/two_sleepers.c, crawler.c, pipeline.c,
 * offload_server.c): each linked with -lgreenpatch and run on its own, and again under the
 * preload of the same library; each must print exactly what its opening comment promises
 * and exit 0. */
#include "harness.h"

#include <criterion/criterion.h>

static const char two_sleepers[] = "main: spawned both tasks\n"
                                   "Task 1 starts\n"
                                   "Task 2 starts\n"
                                   "Task 2 ends\n"
                                   "Task 1 ends\n"
                                   "main: task 1 returned \"one\", task 2 returned \"two\"\n";

static const char crawler[] =
    "GET /page/1 -> 200 OK: This is page 1 of 11.\n"
    "GET /page/2 -> 200 OK: This is page 2 of 11.\n"
    "GET /page/3 -> 200 OK: This is page 3 of 11.\n"
    "GET /page/4 -> 200 OK: This is page 4 of 11.\n"
    "GET /page/5 -> 200 OK: This is page 5 of 11.\n"
    "GET /page/6 -> 200 OK: This is page 6 of 11.\n"
    "GET /page/7 -> 200 OK: This is page 7 of 11.\n"
    "GET /page/8 -> 200 OK: This is page 8 of 11.\n"
    "GET /page/9 -> 200 OK: This is page 9 of 11.\n"
    "GET /page/10 -> 200 OK: This is page 10 of 11.\n"
    "GET /page/11 -> 200 OK: This is page 11 of 11.\n"
    "GET /missing -> 404 Not Found: There is no such page.\n"
    "fetched 12 URLs in order, though some finished before a URL given earlier\n"
    "most fetches in flight at once: 4 (the pool's size: 4)\n"
    "the server stopped in accept(): yes\n";

static const char pipeline[] = "squares: 1 4 9 16 25 36 49 64 81 100 121 144 169 196 225 256 "
                               "289 324 361 400\n"
                               "sum of the squares: 2870\n"
                               "results that came out of order: some\n"
                               "most jobs queued at once: 4 (the queue holds 4)\n"
                               "workers that ended when the queue of jobs closed: 3 of 3\n";

static const char offload_server[] =
    "the computation runs on another OS thread: yes\n"
    "client 1: 4 answers, all right, all while the computation ran\n"
    "client 2: 4 answers, all right, all while the computation ran\n"
    "client 3: 4 answers, all right, all while the computation ran\n"
    "the impatient client gave up on \"result?\": Connection timed out\n"
    "the computation returned pi = 3.14159\n"
    "the patient client got: pi is about 3.14159\n"
    "the server stopped in accept(): yes\n";

static void check(enum run_mode mode, const char *example, const char *want)
{
    struct run_opts opts = {.mode = mode, .timeout_s = 30};
    struct run_result r;
    run_program(&r, &opts, example_path(example), NULL);
    cr_expect_eq(r.exit_code, 0, "%s: exit %d (signal %d)\n%s", example, r.exit_code,
                 r.term_signal, r.err);
    cr_expect_str_eq(r.out, want, "%s: stderr:\n%s", example, r.err);
    run_result_free(&r);
}

/* In the ASan build the library needs the sanitizer runtimes that only the preload list
 * brings: the examples are run only that way there (as tests/test_api.c does). */
#define SKIP_UNLESS_PLAIN_BUILD()                                                             \
    if (sanitized_build())                                                                    \
        cr_skip_test("the ASan library is run through the preload list only")

Test(examples, two_sleepers_linked)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "two_sleepers", two_sleepers);
}

Test(examples, two_sleepers_under_the_preload) { check(RUN_SHIM, "two_sleepers", two_sleepers); }

Test(examples, crawler_linked)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "crawler", crawler);
}

Test(examples, crawler_under_the_preload) { check(RUN_SHIM, "crawler", crawler); }

Test(examples, pipeline_linked)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "pipeline", pipeline);
}

Test(examples, pipeline_under_the_preload) { check(RUN_SHIM, "pipeline", pipeline); }

Test(examples, offload_server_linked)
{
    SKIP_UNLESS_PLAIN_BUILD();
    check(RUN_NATIVE, "offload_server", offload_server);
}

Test(examples, offload_server_under_the_preload)
{
    check(RUN_SHIM, "offload_server", offload_server);
}
