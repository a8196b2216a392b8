/* hiredis under the shim: a thousand plain pthreads, each with its own blocking hiredis
 * connection to a real redis-server (Debian's, started here on 127.0.0.1), every reply
 * checked (tests/compat/progs/hiredis_client.c). The client runs natively and under the shim
 * against the same server; both must print the same summary and exit 0, and under the shim
 * the client's thousand connected threads must be green: one OS thread. */
#include "compat.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

enum { THREADS = 1000 };

/* The server of the running test, stopped by fini whether the test passed or not. */
static pid_t server = -1;
static char *dir;

static void stop_server(void)
{
    if (server > 0)
        compat_stop(server, 10);
    server = -1;
    compat_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(hiredis, .fini = stop_server);

/* Starts redis-server on a free port with nothing written to disk; returns the port. */
static int start_redis(void)
{
    const char *redis = compat_which("redis-server");
    cr_assert(redis, "redis-server is not installed: run scripts/setup");
    dir = compat_tempdir("redis");
    cr_assert(dir, "no temp dir");
    int port = compat_free_port();
    cr_assert_gt(port, 0, "no free port");
    char port_arg[16], log[4200];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(log, sizeof log, "%s/redis.log", dir);
    /* The accept queue holds a thousand connects at once (the kernel caps it at somaxconn):
     * overflowing it would only cost SYN retransmissions of a second or more. */
    const char *const argv[] = {redis, "--port", port_arg, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", dir, "--tcp-backlog", "4096",
                                "--maxclients", "4000", NULL};
    server = compat_start(RUN_NATIVE, argv, NULL, log);
    cr_assert(compat_wait_port(port, server, 20), "redis-server did not start: see %s", log);
    return port;
}

Test(hiredis, thousand_threads_each_with_a_connection, .timeout = 240)
{
    int port = start_redis();
    char port_arg[16], threads_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(threads_arg, sizeof threads_arg, "%d", THREADS);
    const char *const args[] = {port_arg, threads_arg, NULL};
    /* 108 replies per thread: the commands of hiredis_client.c's run(). */
    char expected[512];
    snprintf(expected, sizeof expected,
             "threads: %d\n"
             "connections open at once: %d\n"
             "replies checked: %d\n"
             "failures: 0\n"
             "shared sum: %lld (expected %lld)\n"
             "shared set members: %d\n"
             "keys left: 2\n"
             "ok\n",
             THREADS, THREADS + 1, THREADS * 108, (long long)THREADS * (THREADS - 1) / 2,
             (long long)THREADS * (THREADS - 1) / 2, THREADS);
    prog_timeout_s = 90;
    struct run_pair pair;
    const char *prog = compat_prog_path("hiredis_client");
    run_both_expect(&pair, prog, args, NULL, expected, 0);
    /* At the barrier every thread holds its connection: natively main and a thousand OS
     * threads, under the shim one. */
    expect_os_threads(&pair, "hiredis_client", "connected", THREADS + 1);
    run_pair_free(&pair);
}
