/* Real programs under the shim (tests/compat/, issue 5): what every compat test shares.
 * A compat test starts real servers and clients from Debian's packages (installed by
 * scripts/setup) on 127.0.0.1, runs the same work natively and under the shim, compares the
 * results and checks that under the shim the threads were green (the OS thread count of the
 * process). The helpers here start and stop servers; tests/harness.h runs programs.
 *   GP_COMPAT_PROGS  directory of the clients built from tests/compat/progs/ */
#ifndef GP_TESTS_COMPAT_H
#define GP_TESTS_COMPAT_H

#include "harness.h"

#include <stdbool.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice of an ephemeral
 * port, released again: another process could take it before the server binds it, which a
 * test reports as a server that did not start). */
int compat_free_port(void);

/* Waits until something accepts connections on 127.0.0.1:port, at most timeout_s seconds.
 * Returns false on a timeout or when pid (if > 0) has exited meanwhile. */
bool compat_wait_port(int port, pid_t pid, int timeout_s);

/* Starts argv[0] (a path) with argv in mode (under the shim: LD_PRELOAD as GP_PRELOAD says),
 * env extra "NAME=value" strings (NULL-terminated, or NULL), stdin from /dev/null and stdout
 * and stderr to the file log (appended; NULL: /dev/null). Returns its pid. */
pid_t compat_start(enum run_mode mode, const char *const *argv, const char *const *env,
                   const char *log);

/* Stops a server started by compat_start: SIGTERM, up to timeout_s seconds, then SIGKILL.
 * Returns its exit code, or -1 - signal. */
int compat_stop(pid_t pid, int timeout_s);

/* The OS threads of a running process (entries of /proc/PID/task), and in *pool_workers
 * (when not NULL) how many of them are the shim's pool workers (named "greenpatch-pool",
 * runtime/pool.h), which run the calls that cannot be made cooperative (name resolution,
 * for one). Returns -1 when the process is gone. */
int compat_os_threads(pid_t pid, int *pool_workers);

/* A directory of its own under /tmp, removed with everything in it by compat_rmtree. */
char *compat_tempdir(const char *tag);
void compat_rmtree(const char *dir);

/* Full path of a client built from tests/compat/progs/NAME.c. */
const char *compat_prog_path(const char *name);

/* Full path of tests/compat/REL, a file the tests use (a script, a configuration). */
const char *compat_data_path(const char *rel);

/* The path of an installed program, or NULL when it is not installed (the test then fails:
 * scripts/setup installs everything the compat tests use). */
const char *compat_which(const char *name);

#endif
