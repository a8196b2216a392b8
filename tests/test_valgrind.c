/* The shim under valgrind: helper programs run under the preload inside valgrind's
 * memcheck must print what they print natively, exit the same way, and draw no error.
 * Fiber stacks are registered with valgrind's client requests (runtime/fiber.c); without
 * that, every switch would look like a wild stack pointer change. Skipped in the ASan
 * build (the two instrumentations do not mix). */
#include "harness.h"

#include <criterion/criterion.h>
#include <string.h>

enum { VALGRIND_TIMEOUT_S = 120 };

static void check_under_valgrind(const char *prog)
{
    if (sanitized_build())
        cr_skip_test("valgrind does not run ASan-instrumented code");
    struct run_opts native_opts = {.mode = RUN_NATIVE, .timeout_s = VALGRIND_TIMEOUT_S};
    struct run_opts shim_opts = {.mode = RUN_SHIM, .timeout_s = VALGRIND_TIMEOUT_S};
    struct run_result native, checked;
    run_program(&native, &native_opts, prog_path(prog), NULL);
    const char *args[] = {"--error-exitcode=99", "-q", prog_path(prog), NULL};
    run_program(&checked, &shim_opts, "/usr/bin/valgrind", args);
    cr_expect(!checked.timed_out, "%s under valgrind: killed after %d s", prog, VALGRIND_TIMEOUT_S);
    cr_expect_neq(checked.exit_code, 99, "%s: valgrind found errors:\n%s", prog, checked.err);
    cr_expect_eq(checked.exit_code, native.exit_code, "%s: exit %d under valgrind, %d natively\n%s",
                 prog, checked.exit_code, native.exit_code, checked.err);
    cr_expect_str_eq(checked.out, native.out, "%s: stdout under valgrind differs\n%s", prog,
                     checked.err);
    cr_expect_null(strstr(checked.err, "=="), "%s: valgrind said:\n%s", prog, checked.err);
    run_result_free(&native);
    run_result_free(&checked);
}

TestSuite(valgrind, .timeout = 180);

Test(valgrind, threads_and_joins) { check_under_valgrind("threads_basic"); }
Test(valgrind, errno_across_switches) { check_under_valgrind("errno_kept"); }
Test(valgrind, sockets) { check_under_valgrind("io_sockets"); }
Test(valgrind, pipes) { check_under_valgrind("io_pipe_pingpong"); }
Test(valgrind, socket_timeouts) { check_under_valgrind("io_timeouts"); }
Test(valgrind, signals) { check_under_valgrind("signals"); }
Test(valgrind, signals_for_other_threads) { check_under_valgrind("signals_threads"); }
Test(valgrind, signal_masks) { check_under_valgrind("sig_masks"); }
Test(valgrind, signal_waits) { check_under_valgrind("sig_waits"); }
Test(valgrind, futexes_through_syscall) { check_under_valgrind("syscall_futex"); }
Test(valgrind, sync_after_main_exited) { check_under_valgrind("sync_edges"); }
Test(valgrind, cleanup_handlers_and_exit_unwinding) { check_under_valgrind("thr_cleanup"); }
Test(valgrind, cancellation) { check_under_valgrind("thr_cancel"); }
Test(valgrind, cxx_unwinding) { check_under_valgrind("thr_cxx"); }
Test(valgrind, thread_specific_data) { check_under_valgrind("thr_keys"); }
Test(valgrind, thread_local_objects) { check_under_valgrind("tls_cxx"); }
Test(valgrind, libc_thread_state_and_malloc) { check_under_valgrind("tls_libc"); }
/* The explicit API (greenpatch.h): linked programs, under the preload of the same library. */
Test(valgrind, api_threads_pools_and_piles) { check_under_valgrind("api_threads"); }
Test(valgrind, api_queues_events_and_semaphores) { check_under_valgrind("api_objects"); }
Test(valgrind, api_timeout_scopes) { check_under_valgrind("api_timeout"); }
