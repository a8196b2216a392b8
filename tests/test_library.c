/* The library as a file: what it exports and what it depends on. Only the interposed libc
 * names (under the glibc symbol versions programs bind to) and the public gp_* API are
 * exported; libev is loaded privately at run time and boost.context is linked in, so the
 * only dependency is libc (and the sanitizer runtimes in the ASan build). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* name@version for every exported symbol; a name with two versions appears twice. */
static const char *const expected_exports[] = {
    "__pthread_key_create@GLIBC_2.2.5",
    "__pthread_key_create@GLIBC_2.34",
    "__pthread_register_cancel@GLIBC_2.3.3",
    "__pthread_register_cancel@GLIBC_2.34",
    "__pthread_register_cancel_defer@GLIBC_2.3.3",
    "__pthread_register_cancel_defer@GLIBC_2.34",
    "__pthread_unregister_cancel@GLIBC_2.3.3",
    "__pthread_unregister_cancel@GLIBC_2.34",
    "__pthread_unregister_cancel_restore@GLIBC_2.3.3",
    "__pthread_unregister_cancel_restore@GLIBC_2.34",
    "__pthread_unwind_next@GLIBC_2.3.3",
    "__pthread_unwind_next@GLIBC_2.34",
    "__sysv_signal@GLIBC_2.2.5",
    "_pthread_cleanup_pop@GLIBC_2.2.5",
    "_pthread_cleanup_pop@GLIBC_2.34",
    "_pthread_cleanup_push@GLIBC_2.2.5",
    "_pthread_cleanup_push@GLIBC_2.34",
    "accept4@GLIBC_2.10",
    "accept@GLIBC_2.2.5",
    "bsd_signal@GLIBC_2.2.5",
    "clock_nanosleep@GLIBC_2.17",
    "clock_nanosleep@GLIBC_2.2.5",
    "close@GLIBC_2.2.5",
    "connect@GLIBC_2.2.5",
    "gp_join@GREENPATCH_0",
    "gp_self@GREENPATCH_0",
    "gp_sleep@GREENPATCH_0",
    "gp_spawn@GREENPATCH_0",
    "gp_yield@GREENPATCH_0",
    "nanosleep@GLIBC_2.2.5",
    "pthread_cancel@GLIBC_2.2.5",
    "pthread_cancel@GLIBC_2.34",
    "pthread_clockjoin_np@GLIBC_2.31",
    "pthread_clockjoin_np@GLIBC_2.34",
    "pthread_cond_broadcast@GLIBC_2.3.2",
    "pthread_cond_clockwait@GLIBC_2.30",
    "pthread_cond_clockwait@GLIBC_2.34",
    "pthread_cond_signal@GLIBC_2.3.2",
    "pthread_cond_timedwait@GLIBC_2.3.2",
    "pthread_cond_wait@GLIBC_2.3.2",
    "pthread_create@GLIBC_2.2.5",
    "pthread_create@GLIBC_2.34",
    "pthread_detach@GLIBC_2.2.5",
    "pthread_detach@GLIBC_2.34",
    "pthread_exit@GLIBC_2.2.5",
    "pthread_getaffinity_np@GLIBC_2.3.4",
    "pthread_getaffinity_np@GLIBC_2.32",
    "pthread_getattr_np@GLIBC_2.2.5",
    "pthread_getattr_np@GLIBC_2.32",
    "pthread_getcpuclockid@GLIBC_2.2.5",
    "pthread_getcpuclockid@GLIBC_2.34",
    "pthread_getname_np@GLIBC_2.12",
    "pthread_getname_np@GLIBC_2.34",
    "pthread_getschedparam@GLIBC_2.2.5",
    "pthread_getspecific@GLIBC_2.2.5",
    "pthread_getspecific@GLIBC_2.34",
    "pthread_join@GLIBC_2.2.5",
    "pthread_join@GLIBC_2.34",
    "pthread_key_create@GLIBC_2.2.5",
    "pthread_key_create@GLIBC_2.34",
    "pthread_key_delete@GLIBC_2.2.5",
    "pthread_key_delete@GLIBC_2.34",
    "pthread_kill@GLIBC_2.2.5",
    "pthread_kill@GLIBC_2.34",
    "pthread_mutex_clocklock@GLIBC_2.30",
    "pthread_mutex_clocklock@GLIBC_2.34",
    "pthread_mutex_lock@GLIBC_2.2.5",
    "pthread_mutex_timedlock@GLIBC_2.2.5",
    "pthread_mutex_timedlock@GLIBC_2.34",
    "pthread_mutex_trylock@GLIBC_2.2.5",
    "pthread_mutex_trylock@GLIBC_2.34",
    "pthread_mutex_unlock@GLIBC_2.2.5",
    "pthread_self@GLIBC_2.2.5",
    "pthread_setaffinity_np@GLIBC_2.3.4",
    "pthread_setaffinity_np@GLIBC_2.34",
    "pthread_setcancelstate@GLIBC_2.2.5",
    "pthread_setcanceltype@GLIBC_2.2.5",
    "pthread_setname_np@GLIBC_2.12",
    "pthread_setname_np@GLIBC_2.34",
    "pthread_setschedparam@GLIBC_2.2.5",
    "pthread_setschedprio@GLIBC_2.3.4",
    "pthread_setschedprio@GLIBC_2.34",
    "pthread_setspecific@GLIBC_2.2.5",
    "pthread_setspecific@GLIBC_2.34",
    "pthread_sigqueue@GLIBC_2.11",
    "pthread_sigqueue@GLIBC_2.34",
    "pthread_testcancel@GLIBC_2.2.5",
    "pthread_testcancel@GLIBC_2.34",
    "pthread_timedjoin_np@GLIBC_2.3.3",
    "pthread_timedjoin_np@GLIBC_2.34",
    "pthread_tryjoin_np@GLIBC_2.3.3",
    "pthread_tryjoin_np@GLIBC_2.34",
    "read@GLIBC_2.2.5",
    "readv@GLIBC_2.2.5",
    "recv@GLIBC_2.2.5",
    "recvfrom@GLIBC_2.2.5",
    "recvmsg@GLIBC_2.2.5",
    "send@GLIBC_2.2.5",
    "sendmsg@GLIBC_2.2.5",
    "sendto@GLIBC_2.2.5",
    "sigaction@GLIBC_2.2.5",
    "signal@GLIBC_2.2.5",
    "sleep@GLIBC_2.2.5",
    "sysv_signal@GLIBC_2.2.5",
    "thrd_exit@GLIBC_2.28",
    "thrd_exit@GLIBC_2.34",
    "tss_create@GLIBC_2.28",
    "tss_create@GLIBC_2.34",
    "tss_delete@GLIBC_2.28",
    "tss_delete@GLIBC_2.34",
    "tss_get@GLIBC_2.28",
    "tss_get@GLIBC_2.34",
    "tss_set@GLIBC_2.28",
    "tss_set@GLIBC_2.34",
    "usleep@GLIBC_2.2.5",
    "write@GLIBC_2.2.5",
    "writev@GLIBC_2.2.5",
};

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The defined dynamic symbols of the library as sorted "name@version" lines. */
static size_t exported_symbols(char ***out)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-T", shim_library_path(), NULL};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/objdump", args);
    cr_assert_eq(r.exit_code, 0, "objdump -T failed: %s", r.err);
    size_t n = 0, cap = 128;
    char **syms = malloc(cap * sizeof *syms);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        char version[64], name[256];
        /* "ADDR g DF .text SIZE (VERSION) NAME" or "... VERSION NAME". Undefined ones say
         * *UND*; the version definitions themselves are *ABS*. */
        if (strstr(line, "*UND*") || strstr(line, "*ABS*") ||
            (!strstr(line, " DF ") && !strstr(line, " DO ")))
            continue;
        const char *last = strrchr(line, ' ');
        if (!last || sscanf(last + 1, "%255s", name) != 1)
            continue;
        const char *v = last;
        while (v > line && v[-1] == ' ')
            v--;
        while (v > line && v[-1] != ' ')
            v--;
        if (sscanf(v, "%63s", version) != 1)
            continue;
        char *plain = version;
        if (plain[0] == '(') {
            plain++;
            plain[strcspn(plain, ")")] = 0;
        }
        if (n == cap)
            syms = realloc(syms, (cap *= 2) * sizeof *syms);
        syms[n] = malloc(strlen(name) + strlen(plain) + 2);
        sprintf(syms[n++], "%s@%s", name, plain);
    }
    run_result_free(&r);
    qsort(syms, n, sizeof *syms, compare_strings);
    *out = syms;
    return n;
}

Test(library, exports_exactly_the_interposed_names_and_the_api)
{
    char **syms;
    size_t n = exported_symbols(&syms);
    size_t want = sizeof expected_exports / sizeof expected_exports[0];
    const char **expected = malloc(sizeof expected_exports);
    memcpy(expected, expected_exports, sizeof expected_exports);
    qsort(expected, want, sizeof *expected, compare_strings);
    for (size_t i = 0, j = 0; i < n || j < want;) {
        int c = i == n ? 1 : j == want ? -1 : strcmp(syms[i], expected[j]);
        cr_expect(c >= 0, "exported but not expected: %s", syms[i]);
        cr_expect(c <= 0, "expected but not exported: %s", expected[j]);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    for (size_t i = 0; i < n; i++)
        free(syms[i]);
    free(syms);
    free(expected);
}

Test(library, depends_on_libc_only)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-d", shim_library_path(), NULL};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/readelf", args);
    cr_assert_eq(r.exit_code, 0, "readelf -d failed: %s", r.err);
    int needed = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "(NEEDED)"))
            continue;
        if (sanitized_build() && (strstr(line, "[libasan.so") || strstr(line, "[libubsan.so")))
            continue;
        needed++;
        cr_expect(strstr(line, "[libc.so.6]"), "unexpected dependency: %s", line);
    }
    cr_expect_eq(needed, 1, "%d NEEDED entries", needed);
    run_result_free(&r);
}
