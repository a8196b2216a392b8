/* Test harness: runs helper programs natively or under the shim and captures what they
 * print and how they end. The Criterion runner itself is never preloaded; only the
 * programs it starts are. Paths come from the environment set by scripts/run-tests:
 *   GP_PRELOAD   the LD_PRELOAD value that loads the shim (may list sanitizer runtimes)
 *   GP_PROGS     directory of the helper programs built from tests/progs/
 *   GP_EXAMPLES  directory of the programs built from examples/
 *   GP_SCRIPTS   the scripts/ directory
 *   GP_SANITIZED 1 when the library was built with ASan/UBSan */
#ifndef GP_TESTS_HARNESS_H
#define GP_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum run_mode { RUN_NATIVE, RUN_SHIM };

struct run_result {
    int exit_code;   /* exit status, or -1 when killed by a signal */
    int term_signal; /* the signal that ended it, or 0 */
    bool timed_out;  /* the harness killed it after the time limit */
    char *out;       /* everything written to stdout, NUL-terminated */
    size_t out_len;
    char *err;       /* everything written to stderr, NUL-terminated */
    size_t err_len;
};

/* Everything a run needs besides the program and its arguments. */
struct run_opts {
    enum run_mode mode;
    const char *const *env; /* extra "NAME=value" strings, NULL-terminated, or NULL */
    const char *input;      /* written to stdin, then stdin is closed; NULL: empty stdin */
    int timeout_s;          /* 0: 120 seconds */
};

/* The shim library itself: the first entry of GP_PRELOAD. */
const char *shim_library_path(void);

/* Full path of a helper program (tests/progs/NAME.c) or example (examples/NAME.c). */
const char *prog_path(const char *name);
const char *example_path(const char *name);
const char *script_path(const char *name);

/* Runs path with argv (argv[0] is set to path; args is NULL-terminated) and waits. */
void run_program(struct run_result *r, const struct run_opts *o, const char *path,
                 const char *const *args);
void run_result_free(struct run_result *r);

/* Starts path in the background with stdout on a pipe; returns the pid and stores the read
 * end of the pipe in *out_fd. The caller reaps it with finish_program(). */
pid_t start_program(const struct run_opts *o, const char *path, const char *const *args,
                    int *out_fd);
/* Waits for pid up to timeout_s (then SIGKILL); returns the exit code, or -1 - signal. */
int finish_program(pid_t pid, int timeout_s);

/* Number of OS threads of a running process (entries of /proc/PID/task). */
int os_thread_count(pid_t pid);

bool sanitized_build(void);

/* ---- helper programs run natively and under the shim ----
 * The helper programs in tests/progs finish in seconds; PROG_TIMEOUT_S only bounds a hang.
 * They report their OS thread count on stderr when REPORT_OS_THREADS=1 (thread_prog.h). */
enum { PROG_TIMEOUT_S = 15 };
/* The time limit of run_in_mode and of everything below that runs programs: PROG_TIMEOUT_S,
 * unless a test of longer programs (the real programs of tests/compat/) sets another. */
extern int prog_timeout_s;

struct run_pair {
    struct run_result native;
    struct run_result shim;
};

/* Runs the helper program prog (a name in tests/progs, or the absolute path of an installed
 * program: /usr/bin/python3) in mode with extra env and input. The functions below take
 * prog the same way. */
void run_in_mode(struct run_result *r, enum run_mode mode, const char *prog,
                 const char *const *args, const char *const *env, const char *input);
/* Expects r not to have been killed for taking too long. */
void expect_finished(const struct run_result *r, const char *prog, const char *how);
/* Runs prog under the shim only, with REPORT_OS_THREADS=1 and one GREENPATCH_* setting. */
void run_under_shim_with(struct run_result *r, const char *prog, const char *const *args,
                         const char *setting, const char *input);
/* Runs prog natively and under the shim (REPORT_OS_THREADS=1 both times) with the same
 * arguments and input, and expects both to print expected_out and exit with expected_exit. */
void run_both_expect(struct run_pair *pair, const char *prog, const char *const *args,
                     const char *input, const char *expected_out, int expected_exit);
void run_pair_free(struct run_pair *pair);
/* The N of the "os-threads WHERE: N" line a helper wrote to stderr, or -1 without one. */
int reported_os_threads(const struct run_result *r, const char *where);
/* For expect_os_threads: natively the count depends on timing, only "more than one" holds. */
enum { SEVERAL = 0 };
/* Under the shim every green thread runs on the one OS thread. Natively the count is
 * exactly native_expected when the program's synchronisation guarantees it, or SEVERAL. */
void expect_os_threads(const struct run_pair *pair, const char *prog, const char *where,
                       int native_expected);
/* The same at each report point of a NULL-terminated list. */
void expect_os_threads_at(const struct run_pair *pair, const char *prog,
                          const char *const *where, int native_expected);

/* ---- programs linked with -lgreenpatch (tests/progs/api_*.c, the API's examples) ----
 * Runs the program at path in mode (RUN_NATIVE: linked, on its own; RUN_SHIM: under the
 * preload of the same library too) with extra env, and expects exit 0 and want on stdout.
 * In the ASan build the library needs the sanitizer runtimes that only the preload list
 * brings: the RUN_NATIVE run is skipped there. */
void expect_linked_program(enum run_mode mode, const char *path, const char *const *env,
                           const char *want);

#endif
