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

#endif
