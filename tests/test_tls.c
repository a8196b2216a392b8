/* Thread-local storage per green thread (issue 4). Each helper program from
 * tests/progs/tls_*.c runs natively and under the shim; stdout must be the same byte for byte
 * (and what the program is known to print), the exit status the same (each program checks
 * itself and exits 1 on a broken run, after printing its first failure), and while its
 * threads run the OS thread count it reports must be 1 under the shim. The settings tests
 * run under the shim only. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* ---- 1. the executable's thread variables ---- */

static const char handoff_own_out[] =
    "handoff: the thread that set its variables and errno to 7 sees: counter 7, zeroed 7, "
    "block[0] 0x7, its errno kept: yes\n"
    "handoff: a thread that waited meanwhile sees: counter 42, zeroed 0, block[0] 0xa5, its "
    "errno kept: yes\n"
    "handoff: a thread started after that one ended sees: counter 42, zeroed 0, block[0] 0xa5, "
    "its errno kept: yes\n";

Test(tls, executable_thread_variables_errno_and_their_addresses_are_per_thread, .timeout = 60)
{
    char expected[2048];
    snprintf(expected, sizeof expected, "%s%s",
             "tls_exe start\n"
             "64 threads, 150 steps each, started from the image and kept their own counters, "
             "block, errno, &errno and cached addresses across every yield: yes\n"
             "main's values kept while they ran: yes\n"
             "8 threads started after those ended, by a thread with values of its own, did the "
             "same, and the starter kept its values: yes\n"
             "the fork child of a thread sees that thread's values: yes\n",
             handoff_own_out);
    struct run_pair pair;
    run_both_expect(&pair, "tls_exe", NULL, NULL, expected, 0);
    const char *const where[] = {"workers-alive", "late-alive", NULL};
    expect_os_threads_at(&pair, "tls_exe", where, SEVERAL);
    run_pair_free(&pair);
}

/* ---- 2. shared libraries' thread variables: linked, dlopen'd, dlopen'd initial-exec ---- */

static const char tls_libs_out[] =
    "tls_libs start\n"
    "a thread started before the dlopen saw each library's image in its own copy after it: "
    "yes\n"
    "libtls_counters.so (linked): 33 threads started from its image: yes, kept their own "
    "values across every yield: yes; main's values kept: yes\n"
    "libtls_loaded.so (dlopen): 33 threads started from its image: yes, kept their own "
    "values across every yield: yes; main's values kept: yes\n"
    "libtls_loaded_ie.so (dlopen, initial-exec): 33 threads started from its image: yes, "
    "kept their own values across every yield: yes; main's values kept: yes\n";

Test(tls, library_thread_variables_are_per_thread_linked_or_dlopened, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "tls_libs", NULL, NULL, tls_libs_out, 0);
    expect_os_threads(&pair, "tls_libs", "workers-alive", SEVERAL);
    run_pair_free(&pair);
}

/* The shim's dlopen leaves glibc's the program as its caller, whose RUNPATH ($ORIGIN) finds
 * a library given by its bare name. */
Test(tls, dlopen_by_name_searches_the_programs_runpath, .timeout = 60)
{
    if (sanitized_build())
        cr_skip_test("ASan's dlopen calls glibc's from libasan, whose RUNPATH is not the "
                     "program's");
    const char *const args[] = {"by-name", NULL};
    struct run_pair pair;
    run_both_expect(&pair, "tls_libs", args, NULL, tls_libs_out, 0);
    run_pair_free(&pair);
}

/* A library unloaded and loaded again: every thread starts from its image again, main too,
 * which had values in the old one (the shim must not give it back its saved copy). */
Test(tls, a_reloaded_library_starts_from_its_image_in_every_thread, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "tls_reload", NULL, NULL,
                    "tls_reload start\n"
                    "main, in the library the loader loaded: counter 42, the image: yes\n"
                    "the loader, before the dlclose: counter 45, the image: no\n"
                    "the loader, after the dlclose and a new dlopen: counter 42, the image: yes\n"
                    "main, which had values in the unloaded library, in the new one: counter 42, "
                    "the image: yes\n"
                    "a thread started after the reload: counter 42, the image: yes\n",
                    0);
    run_pair_free(&pair);
}

/* ---- 3. C++ thread_local objects ---- */

Test(tls, cxx_thread_local_objects_are_built_per_thread_and_destroyed_at_its_exit, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "tls_cxx", NULL, NULL,
        "tls_cxx start\n"
        "main: construct first\n"
        "thread 1 (first, then second): construct first, construct second, destroy second, "
        "destroy first\n"
        "thread 2 (second, then first, then pthread_exit): construct second, construct first, "
        "destroy first, destroy second\n"
        "thread 3 (uses neither): nothing\n"
        "thread 4 (std::thread, first, then second): construct first, construct second, destroy "
        "second, destroy first\n"
        "thread 5 (detached, first only): construct first, destroy first\n"
        "thread 6 (first, then second): construct first, construct second, destroy second, "
        "destroy first\n"
        "thread 7 (second, then first, then pthread_exit): construct second, construct first, "
        "destroy first, destroy second\n"
        "thread 8 (uses neither): nothing\n"
        "thread 9 (std::thread, first, then second): construct first, construct second, destroy "
        "second, destroy first\n"
        "thread 10 (detached, first only): construct first, destroy first\n"
        "each thread's destructors had run when its join returned: yes\n"
        "main's first kept through 10 threads' exits, constructed once, not destroyed: yes\n"
        "tls_cxx end\n"
        "main's first destroyed by exit(), value 1000\n",
        0);
    expect_os_threads(&pair, "tls_cxx", "workers-alive", SEVERAL);
    run_pair_free(&pair);
}

Test(tls, main_that_calls_pthread_exit_keeps_its_thread_local_objects, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "tls_cxx", (const char *const[]){"main-pthread-exit", NULL}, NULL,
                    "main ended with pthread_exit; its first destroyed: no\n", 0);
    run_pair_free(&pair);
}

/* ---- 4. libc's per-thread state: locale, h_errno, malloc, getaddrinfo in the pool ---- */

#define LOCALE_LINE                                                                            \
    "uselocale: 8 threads started in the global locale, not main's: yes; the 4 in C.UTF-8 saw " \
    "MB_CUR_MAX 6 and UTF-8, the 4 in C saw 1 and ANSI_X3.4-1968, across every yield: yes; "    \
    "main's C.UTF-8 kept: yes\n"
#define H_ERRNO_LINE                                                                           \
    "h_errno: 8 threads started with 0: yes, kept their own across every yield: yes; main's "   \
    "kept: yes\n"

Test(tls, libc_locale_h_errno_malloc_and_getaddrinfo_stay_per_thread, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "tls_libc", NULL, NULL,
        "tls_libc start\n" LOCALE_LINE H_ERRNO_LINE
        "malloc: 16 threads x 300 blocks of up to 200 KiB, freed by other threads through a "
        "list and a pipe: contents intact: yes, all freed: yes\n"
        "getaddrinfo(localhost) in 4 threads x 5 while 4 threads counted: 127.0.0.1 port 80 "
        "every time: yes; every thread kept its own thread variable: yes\n",
        0);
    /* Both before the first getaddrinfo, which starts the pool's workers under the shim. */
    const char *const where[] = {"locale-threads-alive", "malloc-threads-alive", NULL};
    expect_os_threads_at(&pair, "tls_libc", where, SEVERAL);
    run_pair_free(&pair);
}

/* ---- 5. the GREENPATCH_TLS setting ---- */

static void expect_handoff(const char *setting, const char *expected_sights)
{
    const char *const args[] = {"handoff", NULL};
    struct run_result r;
    run_under_shim_with(&r, "tls_exe", args, setting, NULL);
    char expected[1024];
    snprintf(expected, sizeof expected, "tls_exe handoff\n%s", expected_sights);
    cr_expect_str_eq(r.out, expected, "%s\nstderr:\n%s", setting, r.err);
    cr_expect_eq(r.exit_code, 0, "%s: exit %d, signal %d\nstderr:\n%s", setting, r.exit_code,
                 r.term_signal, r.err);
    run_result_free(&r);
}

/* copy, the default, gives each green thread its own thread variables, as natively. */
Test(tls, copy_setting_gives_each_thread_its_own_variables, .timeout = 40)
{
    const char *const args[] = {"handoff", NULL};
    char expected[1024];
    snprintf(expected, sizeof expected, "tls_exe handoff\n%s", handoff_own_out);
    struct run_pair pair;
    run_both_expect(&pair, "tls_exe", args, NULL, expected, 0);
    run_pair_free(&pair);
    expect_handoff("GREENPATCH_TLS=copy", handoff_own_out);
}

/* GREENPATCH_TLS=shared is the fastest switch, by request: every green thread uses the OS
 * thread's thread variables, so the thread that waited and the one started later see the
 * 7s the first one set. errno still belongs to each green thread (rule 3). */
Test(tls, shared_setting_shares_thread_variables_but_not_errno, .timeout = 40)
{
    expect_handoff("GREENPATCH_TLS=shared",
                   "handoff: the thread that set its variables and errno to 7 sees: counter 7, "
                   "zeroed 7, block[0] 0x7, its errno kept: yes\n"
                   "handoff: a thread that waited meanwhile sees: counter 7, zeroed 7, block[0] "
                   "0x7, its errno kept: yes\n"
                   "handoff: a thread started after that one ended sees: counter 7, zeroed 7, "
                   "block[0] 0x7, its errno kept: yes\n");
}

/* libc's per-thread items (the locale, h_errno) stay per green thread in both settings:
 * shared gives up only the program's own thread variables. */
Test(tls, shared_setting_keeps_libc_locale_and_h_errno_per_thread, .timeout = 40)
{
    struct run_result r;
    run_under_shim_with(&r, "tls_libc", NULL, "GREENPATCH_TLS=shared", NULL);
    cr_expect(strstr(r.out, LOCALE_LINE),
              "the locale is not per green thread under GREENPATCH_TLS=shared:\n%s", r.out);
    cr_expect(strstr(r.out, H_ERRNO_LINE),
              "h_errno is not per green thread under GREENPATCH_TLS=shared:\n%s", r.out);
    run_result_free(&r);
}

/* GREENPATCH_DISABLE=1 leaves every call to glibc and threads native: uselocale,
 * __uselocale and __cxa_thread_atexit_impl (interposed for green threads) too. The programs
 * print what they print natively, with several OS threads. */
Test(tls, disabled_shim_leaves_locale_and_thread_local_destructors_to_glibc, .timeout = 60)
{
    static const struct {
        const char *prog, *threads_alive; /* a report point where its threads are running */
    } cases[] = {{"tls_cxx", "workers-alive"}, {"tls_libc", "locale-threads-alive"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *prog = cases[i].prog;
        struct run_result native, disabled;
        run_in_mode(&native, RUN_NATIVE, prog, NULL, NULL, NULL);
        run_under_shim_with(&disabled, prog, NULL, "GREENPATCH_DISABLE=1", NULL);
        cr_expect_eq(native.exit_code, 0, "%s natively: exit %d\nstderr:\n%s", prog,
                     native.exit_code, native.err);
        cr_expect_str_eq(disabled.out, native.out, "%s with GREENPATCH_DISABLE=1\nstderr:\n%s",
                         prog, disabled.err);
        cr_expect_eq(disabled.exit_code, 0, "%s with GREENPATCH_DISABLE=1: exit %d, signal %d",
                     prog, disabled.exit_code, disabled.term_signal);
        int threads = reported_os_threads(&disabled, cases[i].threads_alive);
        cr_expect_gt(threads, 1, "%s with GREENPATCH_DISABLE=1: %d OS threads", prog, threads);
        run_result_free(&native);
        run_result_free(&disabled);
    }
}

/* A bad value stops the process before main with status 2 and one line naming the variable. */
Test(tls, bad_tls_setting_exits_2_before_main_with_one_line, .timeout = 40)
{
    const char *const bad[] = {"GREENPATCH_TLS=bogus", "GREENPATCH_TLS=sharedx",
                               "GREENPATCH_TLS=COPY"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result r;
        run_under_shim_with(&r, "tls_exe", NULL, bad[i], NULL);
        cr_expect_eq(r.exit_code, 2, "%s: exit %d, signal %d", bad[i], r.exit_code,
                     r.term_signal);
        cr_expect_str_empty(r.out, "%s: main must not run, but stdout is:\n%s", bad[i], r.out);
        const char *newline = strchr(r.err, '\n');
        cr_expect(newline && newline[1] == '\0',
                  "%s: stderr must be exactly one line, it is:\n%s", bad[i], r.err);
        cr_expect(strncmp(r.err, "greenpatch: ", 12) == 0 && strstr(r.err, "GREENPATCH_TLS"),
                  "%s: stderr must start with \"greenpatch: \" and name GREENPATCH_TLS, it "
                  "is:\n%s", bad[i], r.err);
        run_result_free(&r);
    }
}
