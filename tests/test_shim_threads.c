/* Threads, synchronisation, sleeping and configuration under the shim. Each helper program
 * from tests/progs/ runs natively and under the shim; stdout must be the same byte for byte
 * (and what the program is known to print), the exit status the same, and the OS thread
 * count the program reports on stderr (REPORT_OS_THREADS=1) must be 1 under the shim while
 * natively it shows the real threads. The settings tests run under the shim only. */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_env[] = {"REPORT_OS_THREADS=1", NULL};

/* ---- 1. the seed example ---- */

Test(shim_threads, seed_tasks_sleep_overlapping_in_one_os_thread, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "seed_tasks", NULL, NULL,
                    "main start\n"
                    "task1 start\n"
                    "task2 start\n"
                    "main sleeps\n"
                    "task2 done\n"
                    "task1 done\n"
                    "main done\n"
                    "same pid in every thread: yes\n",
                    0);
    expect_os_threads(&pair, "seed_tasks", "all-alive", 3);
    cr_expect(strstr(pair.native.err, "kernel thread ids: all distinct\n"),
              "natively each thread has its own gettid()\nstderr:\n%s", pair.native.err);
    cr_expect(strstr(pair.shim.err, "kernel thread ids: all equal\n"),
              "under the shim every green thread shares the OS thread's gettid()\nstderr:\n%s",
              pair.shim.err);
    run_pair_free(&pair);
}

/* ---- 2. thread life cycle ---- */

static const char threads_basic_out[] =
    "threads_basic start\n"
    "join returns the value each thread returned: yes\n"
    "join returns the value each thread passed to pthread_exit: yes\n"
    "thread created detached ran\n"
    "attr stack size reads back: yes\n"
    "thread with a 2 MiB stack used 1 MiB: yes\n"
    "thread ran on the stack the program supplied: yes\n"
    "attr guard size reads back: yes\n"
    "thread with a 64 KiB guard ran: yes\n"
    "pthread_detach of a running thread: 0\n"
    "detached thread finished\n"
    "tryjoin while the thread waits: EBUSY\n"
    "tryjoin after the thread ended: 0, value right\n"
    "timedjoin on a sleeping thread: ETIMEDOUT\n"
    "clockjoin (monotonic) on a sleeping thread: ETIMEDOUT\n"
    "timedjoin with time to spare: 0, value right\n"
    "main joins itself: EDEADLK\n"
    "a thread joins itself: EDEADLK\n"
    "16 live threads: pthread_self matches pthread_create: yes, ids distinct: yes, "
    "main's id differs: yes, joined with their values: yes\n"
    "256 live threads: pthread_self matches pthread_create: yes, ids distinct: yes, "
    "main's id differs: yes, joined with their values: yes\n";

Test(shim_threads, threads_basic_create_join_detach_attributes_and_256_threads, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "threads_basic", NULL, NULL, threads_basic_out, 0);
    expect_os_threads(&pair, "threads_basic", "16-alive", 17);
    expect_os_threads(&pair, "threads_basic", "256-alive", 257);
    run_pair_free(&pair);
}

/* The size a program asks for with pthread_attr_setstacksize (2 MiB, of which the program
 * uses 1 MiB) wins over a small default, and a stack the program supplies is used as is. */
Test(shim_threads, attribute_stack_sizes_win_over_a_small_default, .timeout = 40)
{
    struct run_result r;
    run_under_shim_with(&r, "threads_basic", NULL, "GREENPATCH_STACK_SIZE=64k", NULL);
    cr_expect_str_eq(r.out, threads_basic_out, "stderr:\n%s", r.err);
    cr_expect_eq(r.exit_code, 0, "exit %d, signal %d\nstderr:\n%s", r.exit_code, r.term_signal,
                 r.err);
    run_result_free(&r);
}

/* ---- 3. mutexes and condition variables ---- */

Test(shim_threads, mutex_cond_counter_error_numbers_queue_and_timed_waits, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "mutex_cond", NULL, NULL,
        "mutex_cond start\n"
        "counter after 1000 threads x 200 increments: 200000\n"
        "recursive mutex: lock x3: 0 0 0, other thread's trylock: EBUSY, unlock x3: 0 0 0, "
        "one unlock more: EPERM, other thread's trylock after: 0\n"
        "error-checking mutex (static): lock: 0, relock: EDEADLK, unlock by another thread: "
        "EPERM, other thread's trylock: EBUSY, unlock: 0, unlock when unlocked: EPERM\n"
        "error-checking mutex (attr): lock: 0, relock: EDEADLK, unlock by another thread: "
        "EPERM, other thread's trylock: EBUSY, unlock: 0, unlock when unlocked: EPERM\n"
        "normal mutex held by main: other thread's trylock: EBUSY, timedlock: ETIMEDOUT, "
        "clocklock (monotonic): ETIMEDOUT, timedlock with tv_nsec 1e9: EINVAL, "
        "destroy while locked: EBUSY, trylock after unlock: 0, destroy: 0\n"
        "producer/consumer: every producer's 500 items consumed: yes, sum right: yes, "
        "left in queue: 0\n"
        "timedwait, realtime cond: ETIMEDOUT, not before the deadline: yes, mutex owned after: yes\n"
        "timedwait, monotonic cond: ETIMEDOUT, not before the deadline: yes, mutex owned after: yes\n"
        "clockwait, realtime: ETIMEDOUT, not before the deadline: yes, mutex owned after: yes\n"
        "clockwait, monotonic: ETIMEDOUT, not before the deadline: yes, mutex owned after: yes\n"
        "timedwait signalled before its deadline: 0\n"
        "timedwait with tv_nsec 1e9: EINVAL, clockwait on CLOCK_PROCESS_CPUTIME_ID: EINVAL\n",
        0);
    expect_os_threads(&pair, "mutex_cond", "consumers-alive", 4);
    run_pair_free(&pair);
}

/* ---- 4. sleeping ---- */

Test(shim_threads, sleeps_wake_in_order_overlap_and_reject_bad_arguments, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "sleeps", NULL, NULL,
        "sleeps start\n"
        "wake order: usleep nanosleep clock_nanosleep-monotonic-rel clock_nanosleep-realtime-rel "
        "clock_nanosleep-monotonic-abs clock_nanosleep-realtime-abs sleep\n"
        "return values: sleep=0 clock_nanosleep-realtime-abs=0 clock_nanosleep-monotonic-abs=0 "
        "clock_nanosleep-realtime-rel=0 clock_nanosleep-monotonic-rel=0 nanosleep=0 usleep=0\n"
        "none woke before its time: yes\n"
        "overlapped: yes\n"
        "nanosleep tv_nsec 2e9: -1, errno EINVAL\n"
        "nanosleep tv_sec -1: -1, errno EINVAL\n"
        "nanosleep zero: 0, errno 0\n"
        "clock_nanosleep bad clock: EINVAL, errno untouched: yes\n"
        "clock_nanosleep CLOCK_THREAD_CPUTIME_ID: EINVAL, errno untouched: yes\n"
        "clock_nanosleep tv_nsec 2e9: EINVAL, errno untouched: yes\n"
        "clock_nanosleep tv_sec -1: EINVAL, errno untouched: yes\n"
        "clock_nanosleep absolute in the past: 0, errno untouched: yes\n"
        "usleep(0): 0, sleep(0): 0\n",
        0);
    expect_os_threads(&pair, "sleeps", "sleepers-alive", SEVERAL);
    run_pair_free(&pair);
}

/* ---- 5. errno per thread ---- */

Test(shim_threads, errno_and_its_address_survive_every_blocking_call, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "errno_kept", NULL, NULL,
                    "errno_kept start\n"
                    "errno and &errno kept by 50 threads, the filler and main across every "
                    "blocking call: yes\n",
                    0);
    expect_os_threads(&pair, "errno_kept", "readers-alive", SEVERAL);
    run_pair_free(&pair);
}

/* ---- 6. a program without threads ---- */

static const char no_threads_input[] = "alpha\nbeta\ngamma\n";
static const char no_threads_out[] = "no_threads start\n"
                                     "1: ALPHA\n"
                                     "2: BETA\n"
                                     "3: GAMMA\n"
                                     "timedwait with nobody signalling: ETIMEDOUT\n"
                                     "usleep(10 ms): 0\n"
                                     "3 lines\n";

Test(shim_threads, program_without_threads_runs_unchanged, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "no_threads", NULL, no_threads_input, no_threads_out, 3);
    cr_expect_eq(reported_os_threads(&pair.native, "end"), 1);
    cr_expect_eq(reported_os_threads(&pair.shim, "end"), 1, "stderr:\n%s", pair.shim.err);
    run_pair_free(&pair);
}

/* ---- 7 and 8. settings ---- */

Test(shim_threads, disable_1_gives_native_threads_under_the_preload, .timeout = 40)
{
    struct run_result r;
    run_under_shim_with(&r, "threads_basic", NULL, "GREENPATCH_DISABLE=1", NULL);
    cr_expect_str_eq(r.out, threads_basic_out, "stderr:\n%s", r.err);
    cr_expect_eq(r.exit_code, 0, "exit %d, signal %d", r.exit_code, r.term_signal);
    cr_expect_eq(reported_os_threads(&r, "256-alive"), 257,
                 "GREENPATCH_DISABLE=1 must leave the threads native\nstderr:\n%s", r.err);
    run_result_free(&r);
}

/* Valid values run green as without the setting. The bounded recursion needs about 200 KiB
 * of stack, so every stack size here is larger. */
Test(shim_threads, valid_settings_are_accepted, .timeout = 40)
{
    const char *const settings[] = {"GREENPATCH_DISABLE=0", "GREENPATCH_STACK_SIZE=1048576",
                                    "GREENPATCH_STACK_SIZE=512k", "GREENPATCH_STACK_SIZE=1m",
                                    "GREENPATCH_POOL_SIZE=1", "GREENPATCH_POOL_SIZE=1024"};
    const char *const args[] = {"bounded", NULL};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        struct run_result r;
        run_under_shim_with(&r, "stack_overflow", args, settings[i], NULL);
        cr_expect_str_eq(r.out,
                         "stack_overflow start\n"
                         "recursion 100 deep came back, every frame intact: yes\n",
                         "%s\nstderr:\n%s", settings[i], r.err);
        cr_expect_eq(r.exit_code, 0, "%s: exit %d, signal %d", settings[i], r.exit_code,
                     r.term_signal);
        cr_expect_eq(reported_os_threads(&r, "recursing"), 1, "%s\nstderr:\n%s", settings[i],
                     r.err);
        run_result_free(&r);
    }
}

/* A bad value stops the process before main (which prints first thing) with status 2 and
 * exactly one line on stderr that names the variable. */
Test(shim_threads, bad_settings_exit_2_before_main_with_one_line, .timeout = 40)
{
    const struct {
        const char *setting;
        const char *variable;
    } bad[] = {
        {"GREENPATCH_STACK_SIZE=banana", "GREENPATCH_STACK_SIZE"},
        {"GREENPATCH_STACK_SIZE=0", "GREENPATCH_STACK_SIZE"},
        {"GREENPATCH_STACK_SIZE=8k", "GREENPATCH_STACK_SIZE"}, /* below the 16 KiB minimum */
        {"GREENPATCH_STACK_SIZE=-65536", "GREENPATCH_STACK_SIZE"},
        {"GREENPATCH_STACK_SIZE=64q", "GREENPATCH_STACK_SIZE"},
        {"GREENPATCH_DISABLE=maybe", "GREENPATCH_DISABLE"},
        {"GREENPATCH_DISABLE=2", "GREENPATCH_DISABLE"},
        {"GREENPATCH_POOL_SIZE=0", "GREENPATCH_POOL_SIZE"},
        {"GREENPATCH_POOL_SIZE=1025", "GREENPATCH_POOL_SIZE"},
        {"GREENPATCH_POOL_SIZE=four", "GREENPATCH_POOL_SIZE"},
        {"GREENPATCH_POOL_SIZE=-1", "GREENPATCH_POOL_SIZE"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result r;
        run_under_shim_with(&r, "no_threads", NULL, bad[i].setting, no_threads_input);
        cr_expect_eq(r.exit_code, 2, "%s: exit %d, signal %d", bad[i].setting, r.exit_code,
                     r.term_signal);
        cr_expect_str_empty(r.out, "%s: main must not run, but stdout is:\n%s", bad[i].setting,
                            r.out);
        const char *newline = strchr(r.err, '\n');
        bool one_line = newline && newline[1] == '\0';
        cr_expect(one_line, "%s: stderr must be exactly one line, it is:\n%s", bad[i].setting,
                  r.err);
        cr_expect(strncmp(r.err, "greenpatch: ", 12) == 0,
                  "%s: stderr must start with \"greenpatch: \", it is:\n%s", bad[i].setting, r.err);
        cr_expect(strstr(r.err, bad[i].variable), "%s: stderr must name %s, it is:\n%s",
                  bad[i].setting, bad[i].variable, r.err);
        run_result_free(&r);
    }
}

/* The dynamic symbol table of a helper program (objdump -T), to make sure it binds what
 * the test is about, or the test would prove nothing. */
static void dump_dynamic_symbols(struct run_result *dump, const char *prog)
{
    struct run_opts native = {.mode = RUN_NATIVE, .timeout_s = PROG_TIMEOUT_S};
    const char *const dump_args[] = {"-T", prog_path(prog), NULL};
    run_program(dump, &native, "/usr/bin/objdump", dump_args);
    cr_assert_eq(dump->exit_code, 0, "objdump -T %s failed:\n%s", prog, dump->err);
}

/* ---- 9. binaries linked against glibc < 2.34 ---- */

Test(shim_threads, old_symbol_versions_are_interposed_too, .timeout = 40)
{
    /* First make sure the program binds what an old build would. */
    struct run_result dump;
    dump_dynamic_symbols(&dump, "old_symver");
    const char *const old_references[] = {
        "(GLIBC_2.2.5) pthread_create\n",         "(GLIBC_2.2.5) pthread_join\n",
        "(GLIBC_2.2.5) pthread_detach\n",         "(GLIBC_2.3.3) pthread_tryjoin_np\n",
        "(GLIBC_2.3.3) pthread_timedjoin_np\n",   "(GLIBC_2.2.5) pthread_mutex_lock\n",
        "(GLIBC_2.2.5) pthread_mutex_unlock\n",   "(GLIBC_2.2.5) pthread_mutex_trylock\n",
        "(GLIBC_2.3.2) pthread_cond_init\n",      "(GLIBC_2.3.2) pthread_cond_destroy\n",
        "(GLIBC_2.3.2) pthread_cond_wait\n",      "(GLIBC_2.3.2) pthread_cond_timedwait\n",
        "(GLIBC_2.3.2) pthread_cond_signal\n",    "(GLIBC_2.3.2) pthread_cond_broadcast\n",
    };
    for (size_t i = 0; i < sizeof old_references / sizeof old_references[0]; i++)
        cr_expect(strstr(dump.out, old_references[i]), "old_symver does not reference %s",
                  old_references[i]);
    run_result_free(&dump);

    struct run_pair pair;
    run_both_expect(&pair, "old_symver", NULL, NULL,
                    "old_symver start\n"
                    "round 0: thread 0 has the token\n"
                    "round 0: thread 1 has the token\n"
                    "round 0: thread 2 has the token\n"
                    "round 0: thread 3 has the token\n"
                    "round 1: thread 0 has the token\n"
                    "round 1: thread 1 has the token\n"
                    "round 1: thread 2 has the token\n"
                    "round 1: thread 3 has the token\n"
                    "round 2: thread 0 has the token\n"
                    "round 2: thread 1 has the token\n"
                    "round 2: thread 2 has the token\n"
                    "round 2: thread 3 has the token\n"
                    "cond_timedwait with nobody signalling: ETIMEDOUT\n"
                    "tryjoin on a waiting thread: EBUSY\n"
                    "timedjoin on a waiting thread: ETIMEDOUT\n"
                    "trylock while main holds the mutex: EBUSY\n"
                    "joined with their values: yes\n"
                    "pthread_detach: 0\n",
                    0);
    expect_os_threads(&pair, "old_symver", "4-alive", 5);
    run_pair_free(&pair);
}

/* ---- 10. stacks ---- */

Test(shim_threads, bounded_deep_recursion_fits_the_default_stack, .timeout = 40)
{
    const char *const args[] = {"bounded", NULL};
    struct run_pair pair;
    run_both_expect(&pair, "stack_overflow", args, NULL,
                    "stack_overflow start\n"
                    "recursion 100 deep came back, every frame intact: yes\n",
                    0);
    expect_os_threads(&pair, "stack_overflow", "recursing", 2);
    run_pair_free(&pair);
}

/* True when some line of text contains all three words. */
static bool line_with_all(const char *text, const char *a, const char *b, const char *c)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, len);
        bool found = strstr(copy, a) && strstr(copy, b) && strstr(copy, c);
        free(copy);
        if (found)
            return true;
        line += end ? len + 1 : len;
    }
    return false;
}

Test(shim_threads, stack_overflow_dies_with_sigsegv_and_names_the_setting, .timeout = 40)
{
    const char *const args[] = {"unbounded", NULL};
    struct run_result native, shim;
    run_in_mode(&native, RUN_NATIVE, "stack_overflow", args, NULL, NULL);
    expect_finished(&native, "stack_overflow", "natively");
    cr_expect_eq(native.term_signal, SIGSEGV, "natively: exit %d, signal %d", native.exit_code,
                 native.term_signal);
    cr_expect_null(strstr(native.err, "greenpatch:"), "natively nothing speaks for the shim");

    run_under_shim_with(&shim, "stack_overflow", args, "GREENPATCH_STACK_SIZE=65536", NULL);
    cr_expect_str_eq(shim.out, "stack_overflow start\n", "stderr:\n%s", shim.err);
    if (sanitized_build()) {
        /* ASan's own SIGSEGV handler reports the overflow and exits in its own way. */
        cr_expect(shim.exit_code != 0, "under the shim (sanitized): exit 0");
    } else {
        cr_expect_eq(shim.term_signal, SIGSEGV, "under the shim: exit %d, signal %d\nstderr:\n%s",
                     shim.exit_code, shim.term_signal, shim.err);
        cr_expect(line_with_all(shim.err, "greenpatch:", "overflow", "GREENPATCH_STACK_SIZE"),
                  "no stderr line with \"greenpatch:\", \"overflow\" and "
                  "\"GREENPATCH_STACK_SIZE\":\n%s",
                  shim.err);
    }
    run_result_free(&native);
    run_result_free(&shim);
}

/* ---- 11. main calls pthread_exit ---- */

Test(shim_threads, main_pthread_exit_lets_the_others_finish_then_exits_0, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "main_exit", NULL, NULL,
                    "main_exit start\n"
                    "main calls pthread_exit\n"
                    "worker 0 done\n"
                    "worker 1 done\n"
                    "worker 2 done\n"
                    "atexit handler ran\n",
                    0);
    expect_os_threads(&pair, "main_exit", "workers-alive", SEVERAL);
    run_pair_free(&pair);
}

/* ---- signal handlers interrupting waits ---- */

Test(shim_threads, signal_handlers_interrupt_the_waits_the_kernel_would, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "signals", NULL, NULL,
        "nanosleep: -1 EINTR, handler ran 1, remaining between 1 and 2 s: yes\n"
        "clock_nanosleep relative: EINTR, handler ran 1, remaining between 1 and 2 s: yes\n"
        "clock_nanosleep absolute: EINTR, handler ran 1, remaining left untouched: yes\n"
        "sleep(3): returned 2, errno EINTR, handler ran 1\n"
        "read on a pipe, SA_RESTART: 1 0, handler ran 1\n"
        "read on a pipe, no SA_RESTART: -1 EINTR, handler ran 1\n"
        "recv with SO_RCVTIMEO, SA_RESTART: -1 EINTR, handler ran 1\n"
        "round 1: the read on an empty pipe was abandoned by siglongjmp, handler ran 1\n"
        "round 2: the read on an empty pipe was abandoned by siglongjmp, handler ran 1\n"
        "round 3: the read on an empty pipe was abandoned by siglongjmp, handler ran 1\n"
        "read on a pipe, pthread_kill(main, SIGUSR1) from another thread, no SA_RESTART: "
        "-1 EINTR, handler ran 1\n"
        "a handler that ran while main was busy interrupted the sleeping thread: no\n"
        "raise, then nanosleep: 0 0\n"
        "a SIGPIPE in another thread (its write: EPIPE, handler ran 1) left main's read alone: "
        "1 0\n"
        "sigaction reports the handler: yes, SA_RESTART|SA_NODEFER: yes, SA_SIGINFO: no, "
        "mask has SIGUSR2: yes\n"
        "signal returns the previous handler: yes\n"
        "and then the one it set: yes\n"
        "signal(SIGKILL): SIG_ERR yes, errno EINVAL\n"
        "done\n",
        0);
    expect_os_threads(&pair, "signals", "ticker-alive", 2);
    run_pair_free(&pair);
}

/* A strict ISO C program's signal() is glibc's __sysv_signal: no SA_RESTART, so the read
 * the handler interrupts fails with EINTR. */
Test(shim_threads, signal_in_a_strict_iso_c_program_has_system_v_semantics, .timeout = 40)
{
    struct run_result dump;
    dump_dynamic_symbols(&dump, "strict_signal");
    cr_assert(strstr(dump.out, " __sysv_signal\n"),
              "strict_signal does not reference __sysv_signal:\n%s", dump.out);
    run_result_free(&dump);

    struct run_pair pair;
    run_both_expect(&pair, "strict_signal", NULL, NULL,
                    "read on an empty pipe, SIGALRM handler installed by signal(): -1 EINTR, "
                    "handler ran 1\n",
                    0);
    expect_os_threads(&pair, "strict_signal", "idler-alive", 2);
    run_pair_free(&pair);
}

/* ---- idle waits sleep in the kernel ---- */

Test(shim_threads, waiting_threads_use_no_cpu, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "idle_waits", NULL, NULL,
                    "CPU used while every thread waited for 600 ms is under 100 ms: yes\n", 0);
    expect_os_threads(&pair, "idle_waits", "all-waiting", 3);
    run_pair_free(&pair);
}

/* ---- a program-supplied allocator that locks ---- */

Test(shim_threads, own_malloc_taking_a_pthread_mutex_works_green, .timeout = 40)
{
    if (sanitized_build())
        cr_skip_test("ASan's runtime must own malloc: a program with its own cannot run under it");
    struct run_pair pair;
    run_both_expect(&pair, "own_malloc", NULL, NULL,
                    "checksum of every thread's blocks: 1279734428\n"
                    "the allocator's mutex was taken: yes\n"
                    "allocations during 9900 condition-variable handoffs: 0\n",
                    0);
    expect_os_threads(&pair, "own_malloc", "workers-alive", SEVERAL);
    run_pair_free(&pair);
}

/* ---- the wrapper command ---- */

Test(shim_threads, greenpatch_wrapper_runs_a_program_green_and_keeps_ld_preload, .timeout = 40)
{
    /* The wrapper puts the shim first and keeps what LD_PRELOAD held (in the ASan build,
     * the sanitizer runtimes that follow the shim in GP_PRELOAD). */
    const char *rest = strchr(getenv("GP_PRELOAD"), ':');
    char preload[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", rest ? rest + 1 : "");
    const char *const env[] = {"REPORT_OS_THREADS=1", preload, NULL};
    const char *args[] = {"--lib", shim_library_path(), prog_path("seed_tasks"), NULL};
    struct run_result wrapped, native;
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = PROG_TIMEOUT_S};
    run_program(&wrapped, &opts, script_path("greenpatch"), args);
    run_in_mode(&native, RUN_NATIVE, "seed_tasks", NULL, report_env, NULL);
    cr_expect_eq(wrapped.exit_code, 0, "wrapper: exit %d\n%s", wrapped.exit_code, wrapped.err);
    cr_expect_str_eq(wrapped.out, native.out, "wrapper: stdout differs\n%s", wrapped.err);
    cr_expect_eq(reported_os_threads(&wrapped, "all-alive"), 1, "wrapper:\n%s", wrapped.err);
    run_result_free(&wrapped);
    run_result_free(&native);
}

/* ---- edge cases of the mutex and join calls ---- */

Test(shim_threads, sync_edge_cases_answer_as_glibc, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_edges", NULL, NULL,
                    "trylock of an error-checking mutex its caller holds: EBUSY\n"
                    "clocklock with CLOCK_PROCESS_CPUTIME_ID: EINVAL\n"
                    "and the mutex is still free: yes\n"
                    "pthread_timedjoin_np without a time: 0, result 42\n"
                    "main detached itself and exits\n"
                    "after main exited, a thread locked a mutex and holds it\n"
                    "the other thread's trylock: EBUSY, its lock returned once the holder let "
                    "go: yes\n",
                    0);
    run_pair_free(&pair);
}

/* ---- fork ---- */

/* fork from main, from a thread while other threads do I/O, and from a thread main joins. */
Test(shim_threads, fork_child_has_only_the_forking_thread_and_a_loop_of_its_own, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "fork_child", NULL, NULL,
                    "child: cond timedwait: ETIMEDOUT\n"
                    "child: a thread of its own returned 7\n"
                    "child: the parent's threads did not run here: yes\n"
                    "parent: the child exited with 0\n"
                    "parent: its reader read 1 byte\n"
                    "parent: its ticker ticked 5 times\n"
                    "child of a thread: woken by the timer thread's condition signal: yes (0)\n"
                    "child of a thread: a thread of its own echoed a byte through pipes: yes\n"
                    "child of a thread: the parent's threads did not run here: yes\n"
                    "parent: the child forked by a thread closed its pipe (read returned 0), "
                    "then exited with 0\n"
                    "parent: its other threads kept exchanging bytes while the child ran: yes\n"
                    "child of a joined worker: the worker joined a thread of its own, which "
                    "returned 5, and calls exit(5)\n"
                    "parent: main joined the worker, whose child exited with 5\n"
                    "child of a joined worker: its helper joined a thread of its own, which "
                    "returned 5, and calls exit(5)\n"
                    "parent: main joined the worker, whose child exited with 5\n",
                    0);
    run_pair_free(&pair);
}

/* ---- a condition variable signalled by an OS thread the shim does not run ---- */

Test(shim_threads, cond_signalled_by_a_glibc_timer_thread_wakes_a_green_waiter, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "stranger_cond", NULL, NULL,
                    "woken by the timer thread's signal: yes (0)\n", 0);
    run_pair_free(&pair);
}

/* ---- signals aimed at green threads other than main ---- */

Test(shim_threads, signals_for_other_threads_run_on_them, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "signals_threads", NULL, NULL,
                    "two signals for one waiting thread: its read EINTR, handlers run on it: "
                    "2 of 2\n"
                    "one signal each for two waiting threads: reads EINTR and EINTR\n"
                    "a child's SIGCHLD after a discarded pthread_kill: sleep left 1, errno EINTR, "
                    "handler ran 1\n",
                    0);
    run_pair_free(&pair);
}
