/* The examples of the explicit API (examples/two_sleepers.c, crawler.c, pipeline.c,
 * offload_server.c): each linked with -lgreenpatch and run on its own, and again under the
 * preload of the same library; each must print exactly what its opening comment promises
 * and exit 0. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

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

static const struct {
    const char *name;
    const char *want;
} examples[] = {
    {"two_sleepers", two_sleepers},
    {"crawler", crawler},
    {"pipeline", pipeline},
    {"offload_server", offload_server},
};

/* Each example linked (RUN_NATIVE) and under the preload (RUN_SHIM). The parameters are
 * plain numbers: Criterion copies them into the process that runs the test. */
struct example_run {
    size_t example;
    enum run_mode mode;
};

ParameterizedTestParameters(examples, print_what_they_promise)
{
    enum { N = sizeof examples / sizeof *examples };
    static struct example_run runs[2 * N];
    for (size_t i = 0; i < 2 * N; i++)
        runs[i] = (struct example_run){i / 2, i % 2 ? RUN_SHIM : RUN_NATIVE};
    return cr_make_param_array(struct example_run, runs, 2 * N);
}

ParameterizedTest(struct example_run *run, examples, print_what_they_promise)
{
    /* offload_server computes for up to 8 s, longer in the sanitized build. */
    prog_timeout_s = 2 * PROG_TIMEOUT_S;
    expect_linked_program(run->mode, example_path(examples[run->example].name), NULL,
                          examples[run->example].want);
}
