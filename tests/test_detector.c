/* The blocking detector, GREENPATCH_BLOCK_WARN_MS (runtime/watchdog.h). Each helper program
 * runs natively and under the shim: a thread that spins on a flag no other green thread can
 * set, and one blocked in a system call the shim cannot see, are reported once, by id, name
 * and a backtrace that names the function holding the OS thread; a healthy program under
 * load, and any program with the setting off, get no report; the detector's signal changes
 * nothing the program sees. The only timing here is generous: a 100 ms threshold against
 * holds of 1.5 s (0.4 s for the signal program), and a healthy program whose threads all
 * wait many times per millisecond. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *const warn_100[] = {"REPORT_OS_THREADS=1", "GREENPATCH_BLOCK_WARN_MS=100",
                                       NULL};
static const char *const warn_off[] = {"REPORT_OS_THREADS=1", NULL};

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Exactly one report in stderr, for green thread `who` ("2 \"spinner\""), with a frame
 * naming frame_fn; others other green threads waiting. */
static void expect_one_report(const struct run_result *r, const char *prog, const char *who,
                              const char *others, const char *frame_fn)
{
    char head[160];
    snprintf(head, sizeof head, "greenpatch: green thread %s has held the OS thread for at least ",
             who);
    cr_expect_eq(count_of(r->err, "has held the OS thread"), 1,
                 "%s: one report expected, stderr:\n%s", prog, r->err);
    cr_expect(strstr(r->err, head), "%s: a report on green thread %s expected, stderr:\n%s", prog,
              who, r->err);
    cr_expect(strstr(r->err, others), "%s: the report must say \"%s\", stderr:\n%s", prog,
              others, r->err);
    char frame[96];
    snprintf(frame, sizeof frame, " %s+0x", frame_fn);
    cr_expect(strstr(r->err, frame), "%s: a frame naming %s expected, stderr:\n%s", prog,
              frame_fn, r->err);
}

static void expect_no_report(const struct run_result *r, const char *prog, const char *how)
{
    cr_expect(!strstr(r->err, "greenpatch:"), "%s %s: no report expected, stderr:\n%s", prog, how,
              r->err);
}

static void expect_out(const struct run_result *r, const char *prog, const char *how,
                       const char *out)
{
    expect_finished(r, prog, how);
    cr_expect_str_eq(r->out, out, "%s %s\nstderr:\n%s", prog, how, r->err);
    cr_expect_eq(r->exit_code, 0, "%s %s: exit %d, signal %d", prog, how, r->exit_code,
                 r->term_signal);
}

/* prog prints native_out natively, with no report, and shim_out under the shim, where the
 * detector reports one hold by thread `who` (id and quoted name) with waiting (what the
 * others do meanwhile) and a frame in function. */
static void expect_hold_reported(const char *prog, const char *native_out, const char *shim_out,
                                 const char *who, const char *waiting, const char *function)
{
    struct run_result native, shim;
    run_in_mode(&native, RUN_NATIVE, prog, NULL, warn_100, NULL);
    expect_out(&native, prog, "natively", native_out);
    expect_no_report(&native, prog, "natively");
    run_in_mode(&shim, RUN_SHIM, prog, NULL, warn_100, NULL);
    expect_out(&shim, prog, "under the shim", shim_out);
    expect_one_report(&shim, prog, who, waiting, function);
    run_result_free(&native);
    run_result_free(&shim);
}

/* A busy loop waiting for a flag that only another green thread would set: natively the
 * setter sets it; under the shim the spinner holds the OS thread until it gives up after
 * 1.5 s, and the detector names it meanwhile, although it blocks every signal. */
Test(detector, spin_on_a_flag_is_reported_by_name_and_function, .timeout = 40)
{
    expect_hold_reported("detect_spin", "spinner saw the flag\n",
                         "spinner gave up after 1.5 s: the flag's setter never ran\n",
                         "2 \"spinner\"",
                         " ms while 2 other green threads cannot run; where it is:\n",
                         "spin_until_set");
}

/* A read(2) made with the syscall instruction, which no interposer sees, blocks the one OS
 * thread until a child process writes, 1.5 s later: reported, and the read, restarted after
 * the detector's signal, still returns the byte, as natively. */
Test(detector, uncovered_blocking_system_call_is_reported, .timeout = 40)
{
    const char *out = "raw read returned 1: 'x'\nwriter process exited with 0\n";
    expect_hold_reported("detect_block", out, out, "2 \"reader\"",
                         " ms while 1 other green thread cannot run; where it is:\n", "raw_read");
}

/* Sixteen threads in blocking pipe I/O for a second: none holds the OS thread, no report.
 * The watchdog is the one extra OS thread when the setting is on, and there is none when it
 * is off. */
Test(detector, healthy_program_under_load_gets_no_report, .timeout = 40)
{
    const char *out = "8 pairs exchanged messages for 1.0 s: replies correct\n";
    struct run_result on, off;
    run_in_mode(&on, RUN_SHIM, "detect_healthy", NULL, warn_100, NULL);
    expect_out(&on, "detect_healthy", "with the detector on", out);
    expect_no_report(&on, "detect_healthy", "with the detector on");
    cr_expect_eq(reported_os_threads(&on, "running"), 2,
                 "the green threads' OS thread and the watchdog\nstderr:\n%s", on.err);
    run_in_mode(&off, RUN_SHIM, "detect_healthy", NULL, warn_off, NULL);
    expect_out(&off, "detect_healthy", "with the detector off", out);
    expect_no_report(&off, "detect_healthy", "with the detector off");
    cr_expect_eq(reported_os_threads(&off, "running"), 1,
                 "no watchdog thread when the detector is off\nstderr:\n%s", off.err);
    run_result_free(&on);
    run_result_free(&off);
}

/* Off by default: the same spin, no report. */
Test(detector, off_by_default, .timeout = 40)
{
    struct run_result r;
    run_in_mode(&r, RUN_SHIM, "detect_spin", NULL, warn_off, NULL);
    expect_out(&r, "detect_spin", "without the setting",
               "spinner gave up after 1.5 s: the flag's setter never ran\n");
    expect_no_report(&r, "detect_spin", "without the setting");
    run_result_free(&r);
}

/* SIGRTMAX, which the detector takes, looks to the program as natively: its action, its
 * mask, its own handler for raise and sigqueue; and the detector's question during a busy
 * wait of main's (reported) never reaches that handler. */
Test(detector, its_signal_changes_nothing_the_program_sees, .timeout = 40)
{
    const char *out = "SIGRTMAX action at start: default\n"
                      "blocked after SIG_BLOCK: yes\n"
                      "blocked after SIG_UNBLOCK: no\n"
                      "previous action reported by sigaction: default\n"
                      "SIGRTMAX action now: the program's handler\n"
                      "handler runs after raise: 1 time(s)\n"
                      "handler runs after sigqueue: 2 time(s), value 7\n"
                      "handler runs after a busy wait: 2 time(s)\n"
                      "action replaced by the default was: the program's handler\n";
    struct run_result native, shim;
    run_in_mode(&native, RUN_NATIVE, "detect_signal", NULL, warn_100, NULL);
    expect_out(&native, "detect_signal", "natively", out);
    run_in_mode(&shim, RUN_SHIM, "detect_signal", NULL, warn_100, NULL);
    expect_out(&shim, "detect_signal", "under the shim", out);
    cr_expect_eq(count_of(shim.err, "greenpatch: green thread 1 \"detect_signal\" has held"), 1,
                 "main's busy wait must be reported once\nstderr:\n%s", shim.err);
    run_result_free(&native);
    run_result_free(&shim);
}

/* A bad value stops the process before main with status 2 and one line naming the
 * variable. */
Test(detector, bad_settings_exit_2_with_one_line, .timeout = 40)
{
    const char *const bad[] = {"GREENPATCH_BLOCK_WARN_MS=0", "GREENPATCH_BLOCK_WARN_MS=",
                               "GREENPATCH_BLOCK_WARN_MS=100ms", "GREENPATCH_BLOCK_WARN_MS=-5",
                               "GREENPATCH_BLOCK_WARN_MS=86400001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result r;
        run_under_shim_with(&r, "detect_healthy", NULL, bad[i], NULL);
        cr_expect_eq(r.exit_code, 2, "%s: exit %d, signal %d", bad[i], r.exit_code,
                     r.term_signal);
        cr_expect_str_empty(r.out, "%s: main must not run, but stdout is:\n%s", bad[i], r.out);
        const char *newline = strchr(r.err, '\n');
        cr_expect(newline && newline[1] == '\0' && strncmp(r.err, "greenpatch: ", 12) == 0 &&
                      strstr(r.err, "GREENPATCH_BLOCK_WARN_MS"),
                  "%s: one line naming the variable expected, stderr:\n%s", bad[i], r.err);
        run_result_free(&r);
    }
}
