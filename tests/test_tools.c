/* The tools that see inside the shim: the thread dump (GREENPATCH_DUMP_SIGNAL,
 * runtime/inspect.h), the summary at exit (GREENPATCH_STATS, runtime/stats.h) and the log
 * of decisions (GREENPATCH_LOG, runtime/log.h). Each helper program prints the same
 * natively and under the shim whatever the settings; the tests read what the shim wrote
 * on stderr (or in the log file). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char states_out[] = "joiner: the reader read 'x'\n"
                                 "sleeper: cancelled\n"
                                 "locker: 1\n"
                                 "waiter: 2\n"
                                 "yielder: 1\n"
                                 "late: 3\n";
static const char stats_out[] = "7 threads made and joined\n";

static void expect_out(const struct run_result *r, const char *prog, const char *how,
                       const char *out)
{
    expect_finished(r, prog, how);
    cr_expect_str_eq(r->out, out, "%s %s\nstderr:\n%s", prog, how, r->err);
    cr_expect_eq(r->exit_code, 0, "%s %s: exit %d, signal %d\nstderr:\n%s", prog, how,
                 r->exit_code, r->term_signal, r->err);
}

/* The line of stderr that starts with start (after "greenpatch: "), or NULL. */
static const char *line_starting(const char *text, const char *start)
{
    char head[256];
    snprintf(head, sizeof head, "greenpatch: %s", start);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, head, strlen(head)) == 0)
            return p;
    return NULL;
}

/* The line that starts with start, then what it says (up to the end of the line) contains
 * want, and the next line is a backtrace frame that names frame_fn. */
static void expect_state(const struct run_result *r, const char *start, const char *want,
                         const char *frame_fn)
{
    const char *line = line_starting(r->err, start);
    cr_assert(line, "a dump line \"%s\" expected, stderr:\n%s", start, r->err);
    const char *end = strchr(line, '\n');
    cr_assert(end);
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)(end - line), line);
    cr_expect(strstr(text, want), "\"%s\" expected in \"%s\"", want, text);
    cr_expect(strstr(text, ", for ") && strstr(text, " s"), "time in state expected in \"%s\"",
              text);
    /* The park site (a function of the shim's), then the program's function. */
    const char *frames = end + 1;
    cr_expect(strncmp(frames, "greenpatch:   #0 ", 17) == 0 && strstr(frames, "libgreenpatch"),
              "the park site expected after \"%s\", stderr:\n%s", text, r->err);
    const char *next = strchr(frames, '\n');
    char frame[128];
    snprintf(frame, sizeof frame, "greenpatch:   #1 %s+0x", frame_fn);
    cr_expect(next && strncmp(next + 1, frame, strlen(frame)) == 0,
              "\"%s\" expected after \"%s\", stderr:\n%s", frame, text, r->err);
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Eight green threads in seven states: one dump (the program sends the signal once) with a
 * line for each, the kind of thing waited for (an fd and its direction, a mutex's or
 * condition variable's address, the thread joined, a deadline), the time in the state
 * and a backtrace naming the program's function. The program's own SIGUSR2 handler,
 * which runs natively, does not run under the shim (the output is the same). */
Test(tools, dump_lists_every_thread_with_its_state_and_backtrace, .timeout = 40)
{
    static const char *const env[] = {"GREENPATCH_DUMP_SIGNAL=SIGUSR2", NULL};
    struct run_result native, shim;
    run_in_mode(&native, RUN_NATIVE, "tools_states", NULL, env, NULL);
    expect_out(&native, "tools_states", "natively", states_out);
    cr_expect(!strstr(native.err, "greenpatch"), "natively: %s", native.err);
    run_in_mode(&shim, RUN_SHIM, "tools_states", NULL, env, NULL);
    expect_out(&shim, "tools_states", "under the shim", states_out);
    cr_expect_eq(count_of(shim.err, "greenpatch: thread dump (signal 12): 8 green threads"), 1,
                 "one dump of 8 threads expected, stderr:\n%s", shim.err);
    cr_expect_eq(count_of(shim.err, "greenpatch: end of thread dump"), 1, "stderr:\n%s",
                 shim.err);
    /* Main sent the signal: it was running, in kill, called from main. */
    cr_expect(strstr(shim.err, "green thread 1 \"tools_states\" was running when the signal came"),
              "stderr:\n%s", shim.err);
    cr_expect(strstr(shim.err, " main+0x"), "stderr:\n%s", shim.err);
    expect_state(&shim, "green thread 2 \"reader\": ", "waiting for fd 3 to be readable",
                 "reader_thread");
    expect_state(&shim, "green thread 3 \"sleeper\": ", "sleeping until ", "sleeper_thread");
    expect_state(&shim, "green thread 4 \"locker\": ", "waiting on mutex at 0x", "mutex_thread");
    expect_state(&shim, "green thread 5 \"waiter\": ", "waiting on condition variable at 0x",
                 "cond_thread");
    expect_state(&shim, "green thread 6 \"joiner\": ", "joining green thread 2", "joiner_thread");
    expect_state(&shim, "green thread 1 \"tools_states\" (main): ", "sleeping until ", "main");
    /* A thread that yielded is runnable, at sched_yield; one that never ran shows its start
     * routine. */
    expect_state(&shim, "green thread 7 \"yielder\": ", "runnable", "yielder_thread");
    const char *late = line_starting(shim.err, "green thread 8 \"late\": runnable, not started yet");
    cr_expect(late && strstr(late, "its start routine:\ngreenpatch:   #0 late_thread+0 in "),
              "stderr:\n%s", shim.err);
    run_result_free(&native);
    run_result_free(&shim);
}

/* The signal by number too; and off (the default), SIGUSR2 is the program's: its handler
 * runs, and nothing is written. */
Test(tools, dump_signal_by_number_and_off_by_default, .timeout = 40)
{
    static const char *const by_number[] = {"GREENPATCH_DUMP_SIGNAL=12", NULL};
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "tools_states", NULL, by_number, NULL);
    expect_out(&r, "tools_states", "with the signal by number", states_out);
    cr_expect_eq(count_of(r.err, "greenpatch: end of thread dump"), 1, "stderr:\n%s", r.err);
    run_result_free(&r);
    run_in_mode(&r, RUN_SHIM, "tools_states", NULL, NULL, NULL);
    expect_out(&r, "tools_states", "without the setting", states_out);
    cr_expect(!strstr(r.err, "greenpatch"), "nothing expected on stderr:\n%s", r.err);
    run_result_free(&r);
}

/* The summary counts the seven threads the program made, eight alive at most (main too),
 * switches, the one pool job (getaddrinfo), and names the hog as the longest holder of
 * the OS thread (50 ms of CPU against the others' microseconds). */
Test(tools, stats_summarise_the_run_at_exit, .timeout = 40)
{
    static const char *const env[] = {"GREENPATCH_STATS=1", NULL};
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "tools_stats", NULL, env, NULL);
    expect_out(&r, "tools_stats", "with GREENPATCH_STATS=1", stats_out);
    cr_expect(strstr(r.err, "greenpatch: stats: green threads created: 7; most alive at once: "),
              "stderr:\n%s", r.err);
    const char *peak = strstr(r.err, "most alive at once: ");
    long most = peak ? strtol(peak + strlen("most alive at once: "), NULL, 10) : 0;
    cr_expect(most >= 2 && most <= 8, "most alive %ld, stderr:\n%s", most, r.err);
    const char *sw = strstr(r.err, "switches: ");
    long switches = sw ? strtol(sw + strlen("switches: "), NULL, 10) : 0;
    cr_expect(switches >= 7, "switches %ld, stderr:\n%s", switches, r.err);
    cr_expect(strstr(r.err, "greenpatch: stats: pool jobs: 1, on 1 worker thread\n"),
              "stderr:\n%s", r.err);
    cr_expect(strstr(r.err, "greenpatch: stats: longest hold of the OS thread: "), "stderr:\n%s",
              r.err);
    cr_expect(strstr(r.err, " ms, by green thread 2 \"hog\"\n"), "stderr:\n%s", r.err);
    cr_expect_eq(count_of(r.err, "greenpatch: stats: "), 4, "one block, stderr:\n%s", r.err);
    run_result_free(&r);
}

/* A program that never starts a thread still gets its summary (nothing happened). */
Test(tools, stats_of_a_program_without_threads, .timeout = 40)
{
    static const char *const env[] = {"GREENPATCH_STATS=1", NULL};
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "no_threads", NULL, env, NULL);
    expect_finished(&r, "no_threads", "with GREENPATCH_STATS=1");
    cr_expect(strstr(r.err, "greenpatch: stats: green threads created: 0; most alive at once: 1"),
              "stderr:\n%s", r.err);
    run_result_free(&r);
}

/* Levels filter: warn (the default) says nothing for a healthy run, info says what is
 * decided once (the scheduler, the pool's worker), debug adds each call sent to the pool
 * and each file I/O decision. */
Test(tools, log_levels_filter, .timeout = 40)
{
    static const char *const info[] = {"GREENPATCH_LOG=info", NULL};
    static const char *const debug[] = {"GREENPATCH_LOG=debug", NULL};
    static const char *const warn[] = {"GREENPATCH_LOG=warn", NULL};
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "tools_stats", NULL, warn, NULL);
    expect_out(&r, "tools_stats", "with GREENPATCH_LOG=warn", stats_out);
    cr_expect(!strstr(r.err, "greenpatch"), "stderr:\n%s", r.err);
    run_result_free(&r);
    run_in_mode(&r, RUN_SHIM, "tools_stats", NULL, info, NULL);
    expect_out(&r, "tools_stats", "with GREENPATCH_LOG=info", stats_out);
    cr_expect(line_starting(r.err, "info: scheduler started"), "stderr:\n%s", r.err);
    cr_expect(line_starting(r.err, "info: pool: worker 1 started"), "stderr:\n%s", r.err);
    cr_expect(!strstr(r.err, "debug:"), "stderr:\n%s", r.err);
    run_result_free(&r);
    run_in_mode(&r, RUN_SHIM, "tools_stats", NULL, debug, NULL);
    expect_out(&r, "tools_stats", "with GREENPATCH_LOG=debug", stats_out);
    cr_expect(line_starting(r.err, "info: scheduler started"), "stderr:\n%s", r.err);
    cr_expect(line_starting(r.err, "debug: pool: green thread "), "stderr:\n%s", r.err);
    run_result_free(&r);
}

/* GREENPATCH_LOG_FILE: the lines go to the file (appended, with the pid), none to stderr. */
Test(tools, log_to_a_file, .timeout = 40)
{
    char path[] = "/tmp/gp_tools_logXXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    char setting[64];
    snprintf(setting, sizeof setting, "GREENPATCH_LOG_FILE=%s", path);
    const char *const env[] = {"GREENPATCH_LOG=info", setting, NULL};
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "tools_stats", NULL, env, NULL);
    expect_out(&r, "tools_stats", "with a log file", stats_out);
    cr_expect(!strstr(r.err, "greenpatch"), "stderr:\n%s", r.err);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    cr_expect(strstr(text, "]: info: scheduler started"), "log file:\n%s", text);
    cr_expect(strncmp(text, "greenpatch[", 11) == 0, "log file:\n%s", text);
    run_result_free(&r);
}

/* A malformed setting: one line, exit status 2, before main. */
Test(tools, bad_settings_exit_with_status_2, .timeout = 40)
{
    static const char *const bad[] = {
        "GREENPATCH_DUMP_SIGNAL=SIGNOPE", "GREENPATCH_DUMP_SIGNAL=SIGKILL",
        "GREENPATCH_DUMP_SIGNAL=0",       "GREENPATCH_DUMP_SIGNAL=65",
        "GREENPATCH_STATS=yes",           "GREENPATCH_LOG=verbose",
        "GREENPATCH_LOG_FILE=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const env[] = {bad[i], NULL};
        struct run_result r;
        run_in_mode(&r, RUN_SHIM, "no_threads", NULL, env, NULL);
        cr_expect_eq(r.exit_code, 2, "%s: exit %d", bad[i], r.exit_code);
        cr_expect_eq(count_of(r.err, "\n"), 1, "%s: one line expected:\n%s", bad[i], r.err);
        cr_expect(strstr(r.err, "is not valid"), "%s: %s", bad[i], r.err);
        cr_expect_str_eq(r.out, "", "%s", bad[i]);
        run_result_free(&r);
    }
}
