/* libpq under the shim: two hundred plain pthreads, each with its own libpq connection to a
 * real PostgreSQL server (Debian's PostgreSQL 15: a cluster made here by initdb in a temp
 * dir, served on 127.0.0.1), each running queries on a table of its own with every result
 * checked (tests/compat/progs/postgres_client.c). The client runs natively and under the
 * shim against the same server; both must print the same summary and exit 0, and under the
 * shim the client's connected threads must be green: one OS thread. */
#include "compat.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { THREADS = 200 };

/* The server of the running test, stopped by fini whether the test passed or not. */
static pid_t server = -1;
static char *dir;

static void stop_server(void)
{
    if (server > 0)
        compat_stop(server, 20);
    server = -1;
    compat_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(postgres, .fini = stop_server);

/* initdb and postgres refuse to run as root, and CI runs as root: there they run as nobody,
 * through setpriv (which execs the program, so that the pid we stop is the postmaster's),
 * in a temp dir that nobody owns. As any other user they run as that user. Fills argv with
 * what runs program as the server's user and returns where program's own arguments go. */
static const char **as_server_user(const char **argv, const char *program)
{
    static char uid_arg[32], gid_arg[32], setpriv[4096];
    int n = 0;
    if (geteuid() == 0) {
        struct passwd *nobody = getpwnam("nobody");
        cr_assert(nobody, "no user nobody to run PostgreSQL as");
        cr_assert(chown(dir, nobody->pw_uid, nobody->pw_gid) == 0, "chown %s", dir);
        snprintf(uid_arg, sizeof uid_arg, "--reuid=%u", (unsigned)nobody->pw_uid);
        snprintf(gid_arg, sizeof gid_arg, "--regid=%u", (unsigned)nobody->pw_gid);
        const char *path = compat_which("setpriv");
        cr_assert(path, "setpriv (util-linux) is not installed");
        snprintf(setpriv, sizeof setpriv, "%s", path);
        argv[n++] = setpriv;
        argv[n++] = uid_arg;
        argv[n++] = gid_arg;
        argv[n++] = "--clear-groups";
    }
    argv[n++] = program;
    return argv + n;
}

/* postgres listens before it has finished starting, and refuses connections meanwhile
 * ("the database system is starting up"): ready once its log says so, within timeout_s
 * seconds, and while the server still runs. */
static bool wait_until_ready(const char *log, pid_t pid, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        FILE *f = fopen(log, "r");
        char line[1024];
        bool ready = false;
        while (f && !ready && fgets(line, sizeof line, f))
            ready = strstr(line, "ready to accept connections") != NULL;
        if (f)
            fclose(f);
        if (ready)
            return true;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        usleep(50000);
    }
    return false;
}

/* Makes a cluster with initdb and starts postgres on a free port; returns the port. */
static int start_postgres(void)
{
    const char *which = compat_which("initdb");
    cr_assert(which, "PostgreSQL 15 is not installed: run scripts/setup");
    char *initdb = strdup(which), *postgres = strdup(compat_which("postgres"));
    dir = compat_tempdir("postgres");
    cr_assert(dir, "no temp dir");
    char data[4200], log[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(log, sizeof log, "%s/postgres.log", dir);

    const char *init_argv[24];
    const char **a = as_server_user(init_argv, initdb);
    const char *const init_args[] = {"-D", data, "-U", "gp", "--auth=trust", "-E", "UTF8",
                                     "--locale=C", "--no-sync", "--no-instructions", NULL};
    memcpy(a, init_args, sizeof init_args);
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 60};
    struct run_result r;
    run_program(&r, &opts, init_argv[0], init_argv + 1);
    cr_assert_eq(r.exit_code, 0, "initdb failed (%d):\n%s%s", r.exit_code, r.out, r.err);
    run_result_free(&r);

    int port = compat_free_port();
    cr_assert_gt(port, 0, "no free port");
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    /* Nothing is kept: no fsync, no full pages, no autovacuum. Room for every client
     * connection, main's and the superuser's reserve. */
    const char *pg_argv[40];
    a = as_server_user(pg_argv, postgres);
    const char *const pg_args[] = {
        "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", port_arg,
        "-c", "max_connections=300", "-c", "shared_buffers=32MB", "-c", "fsync=off",
        "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "autovacuum=off",
        "-c", "logging_collector=off", NULL};
    memcpy(a, pg_args, sizeof pg_args);
    server = compat_start(RUN_NATIVE, pg_argv, NULL, log);
    cr_assert(compat_wait_port(port, server, 30) && wait_until_ready(log, server, 30),
              "postgres did not start: see %s", log);
    free(initdb);
    free(postgres);
    return port;
}

Test(postgres, two_hundred_threads_each_with_a_connection, .timeout = 240)
{
    int port = start_postgres();
    char conninfo[256], threads_arg[16];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%d dbname=postgres user=gp sslmode=disable "
             "gssencmode=disable connect_timeout=30 options='-c client_min_messages=warning'",
             port);
    snprintf(threads_arg, sizeof threads_arg, "%d", THREADS);
    const char *const args[] = {conninfo, threads_arg, NULL};
    /* 57 results per thread: the statements of postgres_client.c's run(). Each thread's
     * table holds 20 inserted and 5 copied rows, ids 1 to 25. */
    char expected[512];
    snprintf(expected, sizeof expected,
             "threads: %d\n"
             "connections open at once: %d\n"
             "results checked: %d\n"
             "failures: 0\n"
             "shared table: %d threads, %d rows, ids summing to %d\n"
             "ok\n",
             THREADS, THREADS + 1, THREADS * 57, THREADS, THREADS * 25, THREADS * 325);
    prog_timeout_s = 90;
    struct run_pair pair;
    run_both_expect(&pair, compat_prog_path("postgres_client"), args, NULL, expected, 0);
    /* At the barrier every thread holds its connection: natively main and two hundred OS
     * threads, under the shim one. */
    expect_os_threads(&pair, "postgres_client", "connected", THREADS + 1);
    run_pair_free(&pair);
}
