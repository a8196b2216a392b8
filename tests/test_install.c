/* The tool people install: `make install` into a temporary prefix (the library, the wrapper,
 * greenpatch.h, the pkg-config file, the man pages), the installed wrapper running programs
 * green, with and without --no-inherit, a program built against the installed header
 * through pkg-config, and `make uninstall` leaving no file behind; then the wrapper's
 * options, each of which sets one GREENPATCH_* variable.
 *
 * make runs in the source tree (GP_SCRIPTS/..) on the build directory the tests came from,
 * with that directory's library marked old (-o): installing must not rebuild it (the ASan
 * library needs flags this make does not get). Each test installs into a prefix of its own,
 * so that tests can run at the same time. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every file install writes, relative to the prefix, sorted as `LC_ALL=C sort` does. */
static const char installed_files[] = "bin/greenpatch\n"
                                      "include/greenpatch.h\n"
                                      "lib/libgreenpatch.so\n"
                                      "lib/pkgconfig/greenpatch.pc\n"
                                      "share/man/man1/greenpatch.1\n"
                                      "share/man/man3/gp_detach.3\n"
                                      "share/man/man3/gp_equal.3\n"
                                      "share/man/man3/gp_event_create.3\n"
                                      "share/man/man3/gp_event_destroy.3\n"
                                      "share/man/man3/gp_event_ready.3\n"
                                      "share/man/man3/gp_event_reset.3\n"
                                      "share/man/man3/gp_event_send.3\n"
                                      "share/man/man3/gp_event_wait.3\n"
                                      "share/man/man3/gp_getname.3\n"
                                      "share/man/man3/gp_join.3\n"
                                      "share/man/man3/gp_kill.3\n"
                                      "share/man/man3/gp_offload.3\n"
                                      "share/man/man3/gp_pile_create.3\n"
                                      "share/man/man3/gp_pile_destroy.3\n"
                                      "share/man/man3/gp_pile_next.3\n"
                                      "share/man/man3/gp_pile_spawn.3\n"
                                      "share/man/man3/gp_pool_create.3\n"
                                      "share/man/man3/gp_pool_destroy.3\n"
                                      "share/man/man3/gp_pool_free.3\n"
                                      "share/man/man3/gp_pool_running.3\n"
                                      "share/man/man3/gp_pool_spawn.3\n"
                                      "share/man/man3/gp_pool_waitall.3\n"
                                      "share/man/man3/gp_queue_close.3\n"
                                      "share/man/man3/gp_queue_create.3\n"
                                      "share/man/man3/gp_queue_destroy.3\n"
                                      "share/man/man3/gp_queue_get.3\n"
                                      "share/man/man3/gp_queue_len.3\n"
                                      "share/man/man3/gp_queue_put.3\n"
                                      "share/man/man3/gp_self.3\n"
                                      "share/man/man3/gp_sem_acquire.3\n"
                                      "share/man/man3/gp_sem_create.3\n"
                                      "share/man/man3/gp_sem_destroy.3\n"
                                      "share/man/man3/gp_sem_release.3\n"
                                      "share/man/man3/gp_sem_value.3\n"
                                      "share/man/man3/gp_setname.3\n"
                                      "share/man/man3/gp_sleep.3\n"
                                      "share/man/man3/gp_spawn.3\n"
                                      "share/man/man3/gp_spawn_after.3\n"
                                      "share/man/man3/gp_timeout_left.3\n"
                                      "share/man/man3/gp_timeout_pop.3\n"
                                      "share/man/man3/gp_timeout_push.3\n"
                                      "share/man/man3/gp_timeout_scope_end.3\n"
                                      "share/man/man3/gp_yield.3\n"
                                      "share/man/man3/greenpatch.3\n";

/* tests/test_api.c expects the same of api_user built in the tree. */
static const char api_user_expected[] = "before any spawn, gp_self: none\n"
                                        "yields: abcabcabc\n"
                                        "main is a green thread now: yes\n"
                                        "sleepers woke in order: 123\n"
                                        "each thread's gp_self was its handle: yes\n"
                                        "joining oneself: Resource deadlock avoided\n";

static char prefix[256];

static const char *source_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/..", script_path(""));
    return dir;
}

static const char *build_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", shim_library_path());
    return dirname(dir);
}

/* What LD_PRELOAD held before the shim: empty, or the sanitizer runtimes of the ASan build
 * (which follow the shim in GP_PRELOAD). The wrapper keeps it and puts the shim first. */
static const char *preload_rest(void)
{
    const char *rest = strchr(getenv("GP_PRELOAD"), ':');
    return rest ? rest + 1 : "";
}

static const char *env_preload_rest(void)
{
    static char var[4200];
    snprintf(var, sizeof var, "LD_PRELOAD=%s", preload_rest());
    return var;
}

static const char *version(void)
{
    static char text[64];
    char path[4200];
    snprintf(path, sizeof path, "%s/VERSION", source_dir());
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    cr_assert(fgets(text, sizeof text, f), "%s is empty", path);
    fclose(f);
    text[strcspn(text, "\n")] = 0;
    return text;
}

/* Runs a shell command natively (never under the shim) with extra environment. */
static void sh(struct run_result *r, const char *cmd, const char *const *env)
{
    const char *args[] = {"-c", cmd, NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = 120};
    run_program(r, &opts, "/bin/sh", args);
}

/* Runs the shell command, which must exit 0, and returns what it printed (to be freed). */
static char *sh_ok(const char *cmd, const char *const *env)
{
    struct run_result r;
    sh(&r, cmd, env);
    cr_assert_eq(r.exit_code, 0, "`%s`: exit %d\n%s%s", cmd, r.exit_code, r.out, r.err);
    char *out = r.out;
    r.out = NULL;
    run_result_free(&r);
    return out;
}

/* make TARGET in the source tree, on this build directory; extra: more make arguments. The
 * jobserver of a make that started the tests is not ours to use. */
static void make(const char *target, const char *extra)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "unset MAKEFLAGS MFLAGS MAKELEVEL; make -s -C '%s' BUILD='%s' -o '%s' %s %s",
             source_dir(), build_dir(), shim_library_path(), extra, target);
    free(sh_ok(cmd, NULL));
}

static void make_prefix(const char *target)
{
    char extra[512];
    snprintf(extra, sizeof extra, "PREFIX='%s'", prefix);
    make(target, extra);
}

static void make_temp_prefix(void)
{
    snprintf(prefix, sizeof prefix, "/tmp/gp-install-XXXXXX");
    cr_assert(mkdtemp(prefix), "mkdtemp");
}

static void remove_temp_prefix(void)
{
    if (!prefix[0])
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", prefix);
    free(sh_ok(cmd, NULL));
}

/* Files and symbolic links under dir, relative to it, sorted. */
static char *files_under(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && find . -type f -o -type l | sed 's|^\\./||' | LC_ALL=C sort",
             dir);
    return sh_ok(cmd, NULL);
}

static const char *installed(const char *relative)
{
    static __thread char buf[4][4096];
    static __thread int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", prefix, relative);
    return b;
}

/* Runs install_exec through a wrapper with its options, and expects the child's report. */
static void expect_exec_reports(const char *wrapper, const char *const *options,
                                const char *child_report)
{
    const char *args[16];
    int n = 0;
    while (options[n])
        args[n] = options[n], n++;
    args[n++] = prog_path("install_exec");
    args[n] = NULL;
    const char *const env[] = {"REPORT_OS_THREADS=1", env_preload_rest(), NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = PROG_TIMEOUT_S};
    struct run_result r;
    run_program(&r, &opts, wrapper, args);
    char want[8192];
    snprintf(want, sizeof want, "parent: 4 threads joined\n%s", child_report);
    cr_expect_eq(r.exit_code, 0, "%s: exit %d\n%s", wrapper, r.exit_code, r.err);
    cr_expect_str_eq(r.out, want, "%s: stderr:\n%s", wrapper, r.err);
    cr_expect_eq(reported_os_threads(&r, "all-alive"), 1, "%s: not green:\n%s", wrapper, r.err);
    run_result_free(&r);
}

/* The report of an install_exec child that inherited the shim through the wrapper. */
static const char *inherited_report(const char *lib)
{
    static char report[8192];
    const char *rest = preload_rest();
    snprintf(report, sizeof report,
             "child: libgreenpatch mapped: yes\n"
             "child: LD_PRELOAD: %s%s%s\n"
             "child: GREENPATCH_NO_INHERIT: (unset)\n",
             lib, *rest ? ":" : "", rest);
    return report;
}

/* The report of a child without the shim: LD_PRELOAD is what it was before the shim. */
static const char *not_inherited_report(void)
{
    static char report[8192];
    const char *rest = preload_rest();
    snprintf(report, sizeof report,
             "child: libgreenpatch mapped: no\n"
             "child: LD_PRELOAD: %s\n"
             "child: GREENPATCH_NO_INHERIT: (unset)\n",
             *rest ? rest : "(unset)");
    return report;
}

TestSuite(install, .fini = remove_temp_prefix);

Test(install, installed_wrapper_runs_programs_green_and_uninstall_removes_every_file,
     .timeout = 120)
{
    make_temp_prefix();
    make_prefix("install");
    char *files = files_under(prefix);
    cr_expect_str_eq(files, installed_files, "installed into %s", prefix);
    free(files);

    /* The installed wrapper finds the installed library, not the build's. */
    const char *wrapper = installed("bin/greenpatch");
    const char *const report_env[] = {"REPORT_OS_THREADS=1", NULL};
    const char *const env[] = {"REPORT_OS_THREADS=1", env_preload_rest(), NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = PROG_TIMEOUT_S};
    struct run_result wrapped, native;
    const char *args[] = {prog_path("seed_tasks"), NULL};
    run_program(&wrapped, &opts, wrapper, args);
    run_in_mode(&native, RUN_NATIVE, "seed_tasks", NULL, report_env, NULL);
    cr_expect_eq(wrapped.exit_code, 0, "wrapper: exit %d\n%s", wrapped.exit_code, wrapped.err);
    cr_expect_str_eq(wrapped.out, native.out, "wrapper: stdout differs\n%s", wrapped.err);
    cr_expect_eq(reported_os_threads(&wrapped, "all-alive"), 1, "wrapper:\n%s", wrapped.err);
    run_result_free(&wrapped);
    run_result_free(&native);

    /* Children inherit the shim by default; with --no-inherit they do not. */
    const char *none[] = {NULL}, *no_inherit[] = {"--no-inherit", NULL};
    expect_exec_reports(wrapper, none, inherited_report(installed("lib/libgreenpatch.so")));
    expect_exec_reports(wrapper, no_inherit, not_inherited_report());

    make_prefix("uninstall");
    files = files_under(prefix);
    cr_expect_str_eq(files, "", "left behind by make uninstall in %s", prefix);
    free(files);
}

Test(install, one_version_in_wrapper_library_and_pkg_config, .timeout = 120)
{
    make_temp_prefix();
    make_prefix("install");
    char cmd[8192], want[256];
    snprintf(cmd, sizeof cmd,
             "'%s' --version && PKG_CONFIG_PATH='%s' pkg-config --modversion greenpatch && "
             "strings -a '%s' | grep '^libgreenpatch ' && grep -h '^[.]TH' '%s'/man?/greenpatch.?",
             installed("bin/greenpatch"), installed("lib/pkgconfig"),
             installed("lib/libgreenpatch.so"), installed("share/man"));
    char *out = sh_ok(cmd, NULL);
    const char *v = version();
    snprintf(want, sizeof want,
             "greenpatch %s\n%s\nlibgreenpatch %s\n"
             ".TH GREENPATCH 1 2026-11-25 \"libgreenpatch %s\" \"User Commands\"\n"
             ".TH GREENPATCH 3 2026-11-26 \"libgreenpatch %s\" \"Library Functions Manual\"\n",
             v, v, v, v, v);
    cr_expect_str_eq(out, want);
    free(out);
}

Test(install, program_built_with_pkg_config_against_the_installed_header, .timeout = 120)
{
    make_temp_prefix();
    make_prefix("install");
    char cmd[8192];
    /* The tree's api_user.c, built as a user would: nothing from the tree but the source. */
    snprintf(cmd, sizeof cmd,
             "export PKG_CONFIG_PATH='%s' && cd '%s' && "
             "${CC:-cc} -Wall -Wextra -Werror $(pkg-config --cflags greenpatch) "
             "'%s/tests/progs/api_user.c' $(pkg-config --libs greenpatch) "
             "-Wl,-rpath,\"$(pkg-config --variable=libdir greenpatch)\" -o api_user && "
             "readelf -d api_user | grep -c 'NEEDED.*libgreenpatch.so'",
             installed("lib/pkgconfig"), prefix, source_dir());
    char *out = sh_ok(cmd, NULL);
    cr_expect_str_eq(out, "1\n");
    free(out);
    /* In the ASan build the installed library needs the sanitizer runtimes preloaded. */
    const char *const env[] = {env_preload_rest(), NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = 30};
    struct run_result r;
    run_program(&r, &opts, installed("api_user"), NULL);
    cr_expect_eq(r.exit_code, 0, "api_user: exit %d\n%s", r.exit_code, r.err);
    cr_expect_str_eq(r.out, api_user_expected, "api_user: stderr:\n%s", r.err);
    run_result_free(&r);
}

Test(install, man_pages_render_without_warnings, .timeout = 60)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && for page in man/greenpatch.1 man/greenpatch.3; do "
             "groff -t -man -Tutf8 -ww -z $page 2>&1; done",
             source_dir());
    char *out = sh_ok(cmd, NULL);
    cr_expect_str_eq(out, "", "groff warnings");
    free(out);
}

/* Every function greenpatch.h declares is in greenpatch(3)'s NAME section and has a page of
 * its own (API_PAGES in the Makefile), and no page names a call the header lacks. */
Test(install, every_call_of_the_header_has_a_page, .timeout = 60)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && grep -oE '\\bgp_[a-z_]+\\(' runtime/greenpatch.h | "
             "tr -d '(' | LC_ALL=C sort -u", source_dir());
    char *declared = sh_ok(cmd, NULL);
    cr_assert(strstr(declared, "gp_spawn\n"), "%s", declared);
    snprintf(cmd, sizeof cmd,
             "unset MAKEFLAGS MFLAGS MAKELEVEL; make -s -C '%s' "
             "--eval 'print-api-pages: ; @printf \"%%s\\n\" $(API_PAGES)' print-api-pages | "
             "LC_ALL=C sort", source_dir());
    char *pages = sh_ok(cmd, NULL);
    cr_expect_str_eq(pages, declared, "API_PAGES in the Makefile");
    snprintf(cmd, sizeof cmd,
             "cd '%s' && sed -n '/^[.]SH NAME/,/^[.]SH/p' man/greenpatch.3 | "
             "grep -oE '\\bgp_[a-z_]+' | LC_ALL=C sort", source_dir());
    char *named = sh_ok(cmd, NULL);
    cr_expect_str_eq(named, declared, "the NAME section of man/greenpatch.3");
    free(declared);
    free(pages);
    free(named);
}

Test(install, destdir_stages_the_files_with_the_final_paths_written_in, .timeout = 120)
{
    make_temp_prefix();
    char extra[512];
    snprintf(extra, sizeof extra, "DESTDIR='%s/stage' PREFIX=/opt/gp", prefix);
    make("install", extra);
    char stage[512];
    snprintf(stage, sizeof stage, "%s/stage/opt/gp", prefix);
    char *files = files_under(stage);
    cr_expect_str_eq(files, installed_files);
    free(files);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "grep -h -e '^installed_lib=' -e '^libdir=' '%s/bin/greenpatch' "
             "'%s/lib/pkgconfig/greenpatch.pc'", stage, stage);
    char *out = sh_ok(cmd, NULL);
    cr_expect_str_eq(out, "installed_lib=\"/opt/gp/lib/libgreenpatch.so\"\nlibdir=/opt/gp/lib\n");
    free(out);
    make("uninstall", extra);
    files = files_under(prefix);
    cr_expect_str_eq(files, "", "left behind by make uninstall");
    free(files);
}

/* ---- GREENPATCH_NO_INHERIT in the library ---- */

Test(install, no_inherit_keeps_other_preloads_and_checks_its_value, .timeout = 60)
{
    /* Another library preloaded after the shim stays for the children; a second mention of
     * the shim, by another path to the same file, goes too. */
    char other[4096], preload[8400];
    snprintf(other, sizeof other, "%s", prog_path("libtls_counters.so"));
    const char *rest = preload_rest();
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s %s:%s/./libgreenpatch.so%s%s",
             shim_library_path(), other, build_dir(), *rest ? ":" : "", rest);
    const char *const env[] = {"REPORT_OS_THREADS=1", "GREENPATCH_NO_INHERIT=1", preload, NULL};
    struct run_result r;
    run_program(&r, &(struct run_opts){.mode = RUN_NATIVE, .env = env, .timeout_s = 15},
                prog_path("install_exec"), NULL);
    char want[8192];
    snprintf(want, sizeof want,
             "parent: 4 threads joined\n"
             "child: libgreenpatch mapped: no\n"
             "child: LD_PRELOAD: %s%s%s\n"
             "child: GREENPATCH_NO_INHERIT: (unset)\n",
             other, *rest ? ":" : "", rest);
    cr_expect_eq(r.exit_code, 0, "exit %d\n%s", r.exit_code, r.err);
    cr_expect_str_eq(r.out, want, "%s\n%s", preload, r.err);
    cr_expect_eq(reported_os_threads(&r, "all-alive"), 1, "%s", r.err);
    run_result_free(&r);

    /* 0 is the default: children inherit. */
    const char *const zero[] = {"GREENPATCH_NO_INHERIT=0", NULL};
    run_under_shim_with(&r, prog_path("install_exec"), NULL, zero[0], NULL);
    cr_expect(strstr(r.out, "child: libgreenpatch mapped: yes\n"), "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "child: GREENPATCH_NO_INHERIT: 0\n"), "%s%s", r.out, r.err);
    run_result_free(&r);

    run_under_shim_with(&r, prog_path("install_exec"), NULL, "GREENPATCH_NO_INHERIT=yes", NULL);
    cr_expect_eq(r.exit_code, 2, "exit %d\n%s", r.exit_code, r.err);
    cr_expect_str_eq(r.out, "");
    cr_expect(strstr(r.err, "GREENPATCH_NO_INHERIT=\"yes\" is not valid"), "%s", r.err);
    run_result_free(&r);
}

/* ---- the wrapper's options ---- */

static void run_wrapper(struct run_result *r, const char *const *args, const char *const *env)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .env = env, .timeout_s = PROG_TIMEOUT_S};
    run_program(r, &opts, script_path("greenpatch"), args);
}

Test(install, wrapper_help_and_version)
{
    struct run_result r;
    run_wrapper(&r, (const char *[]){"--help", NULL}, NULL);
    cr_expect_eq(r.exit_code, 0);
    cr_expect(strncmp(r.out, "Usage: greenpatch [OPTION]... [--] COMMAND [ARG]...\n", 52) == 0,
              "%s", r.out);
    /* Every option the wrapper takes is in its help. */
    static const char *const options[] = {
        "--stack-size SIZE", "--pool-size N", "--file-io MODE", "--tls MODE",
        "--block-warn-ms N", "--dump-signal SIG", "--stats", "--log LEVEL",
        "--log-file PATH", "--disable", "--no-inherit", "--lib PATH", "-h, --help",
        "--version"};
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        cr_expect(strstr(r.out, options[i]), "--help does not show %s", options[i]);
    run_result_free(&r);

    run_wrapper(&r, (const char *[]){"-h", NULL}, NULL);
    cr_expect_eq(r.exit_code, 0);
    run_result_free(&r);

    char want[128];
    snprintf(want, sizeof want, "greenpatch %s\n", version());
    run_wrapper(&r, (const char *[]){"--version", NULL}, NULL);
    cr_expect_eq(r.exit_code, 0);
    cr_expect_str_eq(r.out, want);
    run_result_free(&r);
}

/* Each case: the arguments, and the one line of stderr the wrapper prints first. */
Test(install, wrapper_rejects_bad_options_with_status_2)
{
    static const struct {
        const char *args[4];
        const char *error;
    } cases[] = {
        {{"--bogus", "true"}, "greenpatch: unknown option '--bogus'\n"},
        {{"-x", "true"}, "greenpatch: unknown option '-x'\n"},
        {{"--pool-size"}, "greenpatch: option '--pool-size' needs a value\n"},
        {{"--pool-size=", "true"}, "greenpatch: option '--pool-size' needs a value\n"},
        {{"--stats=1", "true"}, "greenpatch: option '--stats' takes no value\n"},
        {{"--tls", "copy"}, "greenpatch: no command given\n"},
        {{NULL}, "greenpatch: no command given\n"},
        {{"--lib", "/nonexistent/libgreenpatch.so", "true"},
         "greenpatch: /nonexistent/libgreenpatch.so not found: run make\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct run_result r;
        run_wrapper(&r, cases[i].args, NULL);
        cr_expect_eq(r.exit_code, 2, "case %zu: exit %d\n%s", i, r.exit_code, r.err);
        cr_expect_str_eq(r.out, "", "case %zu", i);
        cr_expect(strncmp(r.err, cases[i].error, strlen(cases[i].error)) == 0,
                  "case %zu: stderr:\n%s", i, r.err);
        run_result_free(&r);
    }
}

Test(install, wrapper_options_set_their_variables)
{
    /* Both forms of value, every option; one variable of the environment is replaced by
     * its option and one passes through untouched. The disabled shim makes no use of them. */
    const char *args[] = {"--lib", shim_library_path(),
                          "--stack-size", "64k", "--pool-size=4", "--file-io", "pool",
                          "--tls=shared", "--block-warn-ms", "250", "--dump-signal", "SIGUSR2",
                          "--stats", "--log", "debug", "--log-file=/dev/null", "--disable",
                          "--", prog_path("install_env"), NULL};
    const char *const env[] = {env_preload_rest(), "GREENPATCH_POOL_SIZE=9",
                               "GREENPATCH_OTHER=kept", NULL};
    struct run_result r;
    run_wrapper(&r, args, env);
    cr_expect_eq(r.exit_code, 0, "exit %d\n%s", r.exit_code, r.err);
    cr_expect_str_eq(r.out,
                     "GREENPATCH_BLOCK_WARN_MS=250\n"
                     "GREENPATCH_DISABLE=1\n"
                     "GREENPATCH_DUMP_SIGNAL=SIGUSR2\n"
                     "GREENPATCH_FILE_IO=pool\n"
                     "GREENPATCH_LOG=debug\n"
                     "GREENPATCH_LOG_FILE=/dev/null\n"
                     "GREENPATCH_OTHER=kept\n"
                     "GREENPATCH_POOL_SIZE=4\n"
                     "GREENPATCH_STACK_SIZE=64k\n"
                     "GREENPATCH_STATS=1\n"
                     "GREENPATCH_TLS=shared\n",
                     "stderr:\n%s", r.err);
    run_result_free(&r);
}

Test(install, wrapper_passes_a_bad_value_to_the_library_which_exits_2)
{
    const char *args[] = {"--lib", shim_library_path(), "--pool-size", "0",
                          prog_path("install_env"), NULL};
    const char *const env[] = {env_preload_rest(), NULL};
    struct run_result r;
    run_wrapper(&r, args, env);
    cr_expect_eq(r.exit_code, 2, "exit %d\n%s", r.exit_code, r.err);
    cr_expect_str_eq(r.out, "");
    cr_expect(strstr(r.err, "GREENPATCH_POOL_SIZE=\"0\" is not valid"), "%s", r.err);
    run_result_free(&r);
}

Test(install, wrapper_reports_a_command_it_cannot_run_as_the_shell_does)
{
    static const struct {
        const char *command;
        int exit_code;
        const char *error;
    } cases[] = {
        {"no-such-command-here", 127, "greenpatch: no-such-command-here: command not found\n"},
        {"/nonexistent/program", 127, "greenpatch: /nonexistent/program: no such file\n"},
        {"/etc/passwd", 126, "greenpatch: /etc/passwd: cannot execute\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct run_result r;
        run_wrapper(&r, (const char *[]){"--lib", shim_library_path(), cases[i].command, NULL},
                    NULL);
        cr_expect_eq(r.exit_code, cases[i].exit_code, "%s: exit %d", cases[i].command,
                     r.exit_code);
        cr_expect_str_eq(r.err, cases[i].error);
        run_result_free(&r);
    }
}
