/* Debian's memcached under the shim: libevent, one event loop per worker thread (-t 4), plus
 * its maintenance threads (LRU maintainer and crawler, hash table expander, slab mover,
 * logger). The client (tests/compat/progs/memcache_client.c, run natively) stores keys with
 * values from 0 bytes to 100 KiB on 8 connections, which memcached hands to its 4 workers in
 * turn, reads them back singly and in multi-gets, and goes through the other commands; it
 * checks every byte. The same client runs against memcached started natively and under the
 * shim: what it prints and its exit status must be the same, and memcached must end the same
 * way on SIGTERM. Under the shim every memcached thread is green: one OS thread besides the
 * shim's own pool workers (which resolve the -l address). */
#include "compat.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CLIENT_THREADS = 8, KEYS = 300, START_TIMEOUT_S = 15, STOP_TIMEOUT_S = 10 };

static pid_t server = -1;
static char *dir;

static void stop_server(void)
{
    if (server > 0)
        compat_stop(server, STOP_TIMEOUT_S);
    server = -1;
}

static void cleanup(void)
{
    stop_server();
    compat_rmtree(dir);
    free(dir);
    dir = NULL;
}

struct outcome {
    struct run_result client;
    int os_threads, pool_workers; /* memcached's, after the client finished */
    int server_exit;
    char log[4096];
};

static void run_against(enum run_mode mode, struct outcome *o)
{
    const char *memcached = compat_which("memcached");
    cr_assert(memcached, "memcached is not installed: run scripts/setup");
    /* memcached refuses to run as root unless told which user to be: the same one here. */
    struct passwd *pw = getpwuid(geteuid());
    cr_assert(pw);
    char memcached_path[4096], port_arg[16];
    snprintf(memcached_path, sizeof memcached_path, "%s", memcached);
    snprintf(o->log, sizeof o->log, "%s/memcached-%s.log", dir,
             mode == RUN_SHIM ? "shim" : "native");
    int port = -1;
    for (int attempt = 0; attempt < 3 && server < 0; attempt++) {
        port = compat_free_port();
        snprintf(port_arg, sizeof port_arg, "%d", port);
        const char *const argv[] = {memcached_path, "-l", "127.0.0.1", "-p", port_arg,
                                    "-U", "0", "-t", "4", "-m", "256", "-c", "256",
                                    "-u", pw->pw_name, NULL};
        server = compat_start(mode, argv, NULL, o->log);
        if (!compat_wait_port(port, server, START_TIMEOUT_S))
            stop_server(); /* the port was taken meanwhile, or it failed: see the log */
    }
    cr_assert(server > 0, "memcached did not start (%s): see %s",
              mode == RUN_SHIM ? "under the shim" : "natively", o->log);
    char threads_arg[16], keys_arg[16];
    snprintf(threads_arg, sizeof threads_arg, "%d", CLIENT_THREADS);
    snprintf(keys_arg, sizeof keys_arg, "%d", KEYS);
    const char *const args[] = {port_arg, threads_arg, keys_arg, NULL};
    run_in_mode(&o->client, RUN_NATIVE, compat_prog_path("memcache_client"), args, NULL, NULL);
    expect_finished(&o->client, "memcache_client", mode == RUN_SHIM ? "(server under the shim)"
                                                                    : "(native server)");
    o->os_threads = compat_os_threads(server, &o->pool_workers);
    o->server_exit = compat_stop(server, STOP_TIMEOUT_S);
    server = -1;
}

TestSuite(memcached, .fini = cleanup, .timeout = 60);

Test(memcached, four_event_loops_serve_the_same_values_natively_and_under_the_shim)
{
    dir = compat_tempdir("memcached");
    cr_assert(dir);
    struct outcome native = {0}, shim = {0};
    run_against(RUN_NATIVE, &native);
    run_against(RUN_SHIM, &shim);

    char expected[4096] = "";
    for (int t = 0; t < CLIENT_THREADS; t++) {
        /* Each thread's values: sizes cycle through value_size()'s list from t * 7. */
        static const long sizes[] = {0, 1, 10, 100, 1000, 4096, 10000, 65536, 100 * 1024};
        long bytes = 0;
        for (int k = 0; k < KEYS; k++)
            bytes += sizes[(t * 7 + k) % 9];
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                 "thread %d: stored %d, hits %d, misses 1, value bytes %ld, other replies "
                 "right 15, errors 0\n",
                 t, KEYS, 2 * KEYS, 2 * bytes);
    }
    cr_expect_str_eq(native.client.out, expected,
                     "the client against native memcached\nstderr:\n%s", native.client.err);
    cr_expect_eq(native.client.exit_code, 0, "the client against native memcached: exit %d",
                 native.client.exit_code);
    cr_expect_str_eq(shim.client.out, native.client.out,
                     "the client got other replies from memcached under the shim\nstderr:\n%s"
                     "\nserver log: %s",
                     shim.client.err, shim.log);
    cr_expect_eq(shim.client.exit_code, native.client.exit_code,
                 "the client against memcached under the shim: exit %d\nstderr:\n%s",
                 shim.client.exit_code, shim.client.err);
    cr_expect_eq(shim.server_exit, native.server_exit,
                 "memcached ended with %d under the shim, %d natively (log: %s)",
                 shim.server_exit, native.server_exit, shim.log);

    /* -t 4 workers and the maintenance threads. */
    cr_expect_gt(native.os_threads, 4, "native memcached: %d OS threads", native.os_threads);
    cr_expect_eq(native.pool_workers, 0);
    cr_expect_eq(shim.os_threads - shim.pool_workers, 1,
                 "memcached under the shim: %d OS threads, %d of them the shim's pool workers",
                 shim.os_threads, shim.pool_workers);
    cr_log_info("memcached OS threads: native %d, under the shim %d (%d pool workers)",
                native.os_threads, shim.os_threads, shim.pool_workers);
    run_result_free(&native.client);
    run_result_free(&shim.client);
}
