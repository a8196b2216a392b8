/* Debian's redis-server and redis-benchmark under the shim.
 * - redis-server (an ae/epoll loop plus its bio threads, which close files, fsync and free
 *   memory in the background) runs natively and then under the shim with the same
 *   configuration; redis-cli (native) sends the same script of commands (strings, counters,
 *   lists, hashes, sets, sorted sets, a 200 KB string) and must get the same replies, which
 *   are also what the test expects; redis-benchmark (native) then sends a bounded number of
 *   each of eight commands, and the server's own command counts (INFO commandstats) must
 *   show every one of them, natively and under the shim.
 * - redis-benchmark --threads 4 (one ae loop per thread) runs natively and under the shim
 *   against a native redis-server: it must finish, and the server must have executed every
 *   request.
 * Under the shim every thread of the program is green: one OS thread besides the shim's own
 * pool workers. One exception, checked and reported: jemalloc's background threads (Redis
 * turns them on by default) are created with the pthread_create that jemalloc looks up with
 * dlsym(RTLD_NEXT), which is libc's own, not the shim's: they stay OS threads (they only
 * purge memory and share jemalloc's mutexes with the green threads through the shim's
 * stranger paths). The main case turns them off (--jemalloc-bg-thread no) so that the
 * count is exact; a second case runs Redis's defaults and checks that the only extra OS
 * threads are jemalloc's.
 * Not covered: --io-threads, whose main thread spins waiting for the I/O threads (a limit of
 * any M:1 shim, README). */
#include "compat.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { START_TIMEOUT_S = 15, STOP_TIMEOUT_S = 10, BENCH_REQUESTS = 10000, BENCH_TIMEOUT_S = 60 };

/* The commands redis-benchmark sends (its -t tests), and the server's name for each. */
static const char bench_tests[] = "set,get,incr,lpush,lpop,sadd,hset,mset";
static const char *const bench_commands[] = {"set",  "get",  "incr", "lpush",
                                             "lpop", "sadd", "hset", "mset"};

static pid_t running[2] = {-1, -1}; /* servers and benchmarks started, stopped by cleanup */
static char *dir;

static void stop(pid_t *pid)
{
    if (*pid > 0)
        compat_stop(*pid, STOP_TIMEOUT_S);
    *pid = -1;
}

static void cleanup(void)
{
    for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
        stop(&running[i]);
    compat_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(redis, .init = NULL, .fini = cleanup, .timeout = 90);

static char *installed(const char *name)
{
    const char *path = compat_which(name);
    cr_assert(path, "%s is not installed: run scripts/setup", name);
    return strdup(path);
}

/* Starts redis-server in mode (running[0]) with its data in dir and extra arguments (NULL
 * or NULL-terminated); returns its port. */
static int start_server(enum run_mode mode, const char *tag, const char *const *extra)
{
    if (!dir)
        cr_assert((dir = compat_tempdir("redis")));
    char *server = installed("redis-server"), port_arg[16], log[4096];
    snprintf(log, sizeof log, "%s/redis-%s.log", dir, tag);
    int port = -1;
    for (int attempt = 0; attempt < 3 && running[0] < 0; attempt++) {
        port = compat_free_port();
        snprintf(port_arg, sizeof port_arg, "%d", port);
        const char *argv[32] = {server,  "--port",       port_arg, "--bind", "127.0.0.1",
                                "--save", "",            "--appendonly", "no", "--dir",
                                dir,      "--daemonize", "no"};
        size_t n = 13;
        for (const char *const *e = extra; e && *e && n < 31; e++)
            argv[n++] = *e;
        running[0] = compat_start(mode, argv, NULL, log);
        if (!compat_wait_port(port, running[0], START_TIMEOUT_S))
            stop(&running[0]); /* the port was taken meanwhile, or it failed: see the log */
    }
    cr_assert(running[0] > 0, "redis-server (%s) did not start: see %s", tag, log);
    free(server);
    return port;
}

/* Runs redis-cli natively with args after -p port, and input on stdin. */
static void cli(struct run_result *r, int port, const char *const *args, const char *input)
{
    char *path = installed("redis-cli"), port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    const char *argv[16] = {"-p", port_arg};
    size_t n = 2;
    for (const char *const *a = args; a && *a && n < 15; a++)
        argv[n++] = *a;
    run_in_mode(r, RUN_NATIVE, path, argv, NULL, input);
    expect_finished(r, "redis-cli", args ? args[0] : "(script)");
    free(path);
}

static void cli_expect(int port, const char *const *args, const char *expected)
{
    struct run_result r;
    cli(&r, port, args, NULL);
    cr_expect_str_eq(r.out, expected, "redis-cli %s\nstderr:\n%s", args[0], r.err);
    run_result_free(&r);
}

/* "set 10000\nget 10000\n...": the server's count of each command redis-benchmark sends. */
static char *command_counts(int port)
{
    struct run_result r;
    cli(&r, port, (const char *const[]){"INFO", "commandstats", NULL}, NULL);
    char *counts = calloc(1, 1024);
    for (size_t i = 0; i < sizeof bench_commands / sizeof bench_commands[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "cmdstat_%s:calls=", bench_commands[i]);
        const char *at = strstr(r.out, key);
        snprintf(counts + strlen(counts), 1024 - strlen(counts), "%s %ld\n", bench_commands[i],
                 at ? atol(at + strlen(key)) : -1L);
    }
    run_result_free(&r);
    return counts;
}

static char *expected_counts(void)
{
    char *counts = calloc(1, 1024);
    for (size_t i = 0; i < sizeof bench_commands / sizeof bench_commands[0]; i++)
        snprintf(counts + strlen(counts), 1024 - strlen(counts), "%s %d\n", bench_commands[i],
                 BENCH_REQUESTS);
    return counts;
}

/* How many OS threads of pid have a name that starts with prefix. */
static int threads_named(pid_t pid, const char *prefix)
{
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char comm[32] = "";
        snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid, e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = 0;
            fclose(f);
        }
        n += strncmp(comm, prefix, strlen(prefix)) == 0;
    }
    closedir(d);
    return n;
}

/* ---- redis-server under the shim, driven by redis-cli and redis-benchmark ---- */

/* The command script: the 200 KB string comes from SETRANGE past its end (zero bytes up to
 * offset 200000, then "tail"). */
static const char script[] =
    "PING\nSET greeting hello\nGET greeting\nAPPEND greeting \", world\"\nGET greeting\n"
    "STRLEN greeting\nGETRANGE greeting 0 4\nSET counter 10\nINCR counter\n"
    "INCRBY counter 32\nDECR counter\nMSET k1 v1 k2 v2 k3 v3\nMGET k1 k2 k3 missing\n"
    "EXISTS k1 k2 missing\nDEL k2 missing\nLPUSH list c b a\nRPUSH list d e\n"
    "LRANGE list 0 -1\nLPOP list\nLLEN list\nHSET hash f1 1 f2 2\nHGET hash f2\n"
    "HINCRBY hash f1 41\nHGETALL hash\nSADD set x y z x\nSCARD set\nSISMEMBER set y\n"
    "ZADD zset 3 c 1 a 2 b\nZRANGE zset 0 -1 WITHSCORES\nZSCORE zset b\n"
    "SETNX greeting other\nGET nothing\nTYPE list\nSETRANGE big 200000 tail\n"
    "STRLEN big\nGETRANGE big 200000 -1\nDBSIZE\n";
static const char script_replies[] =
    "PONG\nOK\nhello\n12\nhello, world\n12\nhello\nOK\n11\n43\n42\nOK\nv1\nv2\nv3\n\n"
    "2\n1\n3\n5\na\nb\nc\nd\ne\na\n4\n2\n2\n42\nf1\n42\nf2\n2\n3\n3\n1\n3\na\n1\nb\n2\n"
    "c\n3\n2\n0\n\nlist\n200004\n200004\ntail\n9\n";

struct server_outcome {
    struct run_result script;
    char *counts;
    bool bench_ok;
    int os_threads, pool_workers, bio_threads, jemalloc_threads;
    int exit_code;
};

static void drive_server(enum run_mode mode, const char *tag, const char *const *extra,
                         struct server_outcome *o)
{
    int port = start_server(mode, tag, extra);
    cli(&o->script, port, NULL, script);
    cli_expect(port, (const char *const[]){"CONFIG", "RESETSTAT", NULL}, "OK\n");
    char *bench = installed("redis-benchmark"), port_arg[16], n_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(n_arg, sizeof n_arg, "%d", BENCH_REQUESTS);
    struct run_result b;
    run_in_mode(&b, RUN_NATIVE, bench,
                (const char *const[]){"-p", port_arg, "-n", n_arg, "-c", "20", "-d", "100",
                                      "-t", bench_tests, "-q", NULL},
                NULL, NULL);
    expect_finished(&b, "redis-benchmark", tag);
    o->bench_ok = b.exit_code == 0;
    cr_expect(o->bench_ok, "redis-benchmark against redis-server (%s): exit %d\n%s", tag,
              b.exit_code, b.err);
    run_result_free(&b);
    free(bench);
    o->counts = command_counts(port);
    o->os_threads = compat_os_threads(running[0], &o->pool_workers);
    o->bio_threads = threads_named(running[0], "bio_");
    o->jemalloc_threads = threads_named(running[0], "jemalloc_bg_thd");
    o->exit_code = compat_stop(running[0], STOP_TIMEOUT_S);
    running[0] = -1;
}

static void free_outcome(struct server_outcome *o)
{
    run_result_free(&o->script);
    free(o->counts);
}

Test(redis, server_gives_the_same_replies_and_runs_every_benchmark_request_under_the_shim)
{
    const char *const no_bg[] = {"--jemalloc-bg-thread", "no", NULL};
    struct server_outcome native = {0}, shim = {0};
    drive_server(RUN_NATIVE, "native", no_bg, &native);
    drive_server(RUN_SHIM, "shim", no_bg, &shim);
    char *expected = expected_counts();

    cr_expect_str_eq(native.script.out, script_replies, "redis-cli natively\nstderr:\n%s",
                     native.script.err);
    cr_expect_str_eq(shim.script.out, native.script.out,
                     "redis-cli got other replies from redis-server under the shim\n%s",
                     shim.script.err);
    cr_expect_str_eq(native.counts, expected, "the native server's command counts");
    cr_expect_str_eq(shim.counts, expected, "the command counts of the server under the shim");
    cr_expect_eq(shim.exit_code, native.exit_code,
                 "redis-server ended with %d under the shim, %d natively", shim.exit_code,
                 native.exit_code);
    /* Natively the bio threads are OS threads of their own; under the shim they are green. */
    cr_expect_geq(native.bio_threads, 3, "native redis-server: %d bio threads",
                  native.bio_threads);
    cr_expect_eq(shim.os_threads - shim.pool_workers, 1,
                 "redis-server under the shim: %d OS threads, %d of them pool workers",
                 shim.os_threads, shim.pool_workers);
    cr_log_info("redis-server OS threads: native %d (%d bio), under the shim %d (%d pool)",
                native.os_threads, native.bio_threads, shim.os_threads, shim.pool_workers);
    free(expected);
    free_outcome(&native);
    free_outcome(&shim);
}

/* Redis's defaults: jemalloc's background threads are OS threads even under the shim (see
 * the top of this file); everything else is as above. */
Test(redis, with_jemalloc_background_threads_only_those_stay_os_threads)
{
    struct server_outcome shim = {0};
    drive_server(RUN_SHIM, "shim-defaults", NULL, &shim);
    char *expected = expected_counts();
    cr_expect_str_eq(shim.script.out, script_replies, "redis-cli\nstderr:\n%s", shim.script.err);
    cr_expect_str_eq(shim.counts, expected, "the command counts of the server under the shim");
    cr_expect_eq(shim.exit_code, 0, "redis-server under the shim ended with %d",
                 shim.exit_code);
    cr_expect_eq(shim.os_threads - shim.pool_workers - shim.jemalloc_threads, 1,
                 "redis-server under the shim: %d OS threads, %d pool workers, %d jemalloc",
                 shim.os_threads, shim.pool_workers, shim.jemalloc_threads);
    cr_log_info("redis-server with defaults under the shim: %d OS threads (%d jemalloc_bg_thd, "
                "%d pool)",
                shim.os_threads, shim.jemalloc_threads, shim.pool_workers);
    free(expected);
    free_outcome(&shim);
}

/* ---- redis-benchmark --threads 4 under the shim ---- */

struct bench_outcome {
    int exit_code;
    int max_threads; /* the most OS threads seen while it ran, pool workers not counted */
    char *counts;
};

static void run_benchmark(enum run_mode mode, int port, struct bench_outcome *o)
{
    cli_expect(port, (const char *const[]){"CONFIG", "RESETSTAT", NULL}, "OK\n");
    char *bench = installed("redis-benchmark"), port_arg[16], n_arg[16], log[4096];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(n_arg, sizeof n_arg, "%d", BENCH_REQUESTS);
    snprintf(log, sizeof log, "%s/benchmark-%s.log", dir, mode == RUN_SHIM ? "shim" : "native");
    const char *const argv[] = {bench, "-p", port_arg, "-n", n_arg, "-c", "40", "--threads",
                                "4", "-t", bench_tests, "-q", NULL};
    running[1] = compat_start(mode, argv, NULL, log);
    o->max_threads = 0;
    o->exit_code = -1;
    struct timespec pause = {0, 5 * 1000 * 1000};
    for (int i = 0; i < BENCH_TIMEOUT_S * 200; i++) {
        int status;
        if (waitpid(running[1], &status, WNOHANG) == running[1]) {
            o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1 - WTERMSIG(status);
            running[1] = -1;
            break;
        }
        int pool = 0, n = compat_os_threads(running[1], &pool);
        if (n - pool > o->max_threads)
            o->max_threads = n - pool;
        nanosleep(&pause, NULL);
    }
    cr_expect_eq(running[1], -1, "redis-benchmark --threads 4 (%s) still ran after %d s: see %s",
                 mode == RUN_SHIM ? "under the shim" : "natively", BENCH_TIMEOUT_S, log);
    stop(&running[1]);
    o->counts = command_counts(port);
    free(bench);
}

Test(redis, benchmark_with_four_threads_completes_every_request_under_the_shim)
{
    int port = start_server(RUN_NATIVE, "for-benchmark", NULL);
    struct bench_outcome native, shim;
    run_benchmark(RUN_NATIVE, port, &native);
    run_benchmark(RUN_SHIM, port, &shim);
    char *expected = expected_counts();
    cr_expect_eq(native.exit_code, 0, "redis-benchmark natively: exit %d", native.exit_code);
    cr_expect_eq(shim.exit_code, 0, "redis-benchmark under the shim: exit %d", shim.exit_code);
    cr_expect_str_eq(native.counts, expected, "the server's counts after the native benchmark");
    cr_expect_str_eq(shim.counts, expected, "the server's counts after the benchmark under the shim");
    cr_expect_gt(native.max_threads, 1, "redis-benchmark --threads 4 natively: %d OS threads",
                 native.max_threads);
    cr_expect_eq(shim.max_threads, 1, "redis-benchmark --threads 4 under the shim: %d OS threads",
                 shim.max_threads);
    cr_log_info("redis-benchmark --threads 4 OS threads: native %d, under the shim %d",
                native.max_threads, shim.max_threads);
    free(expected);
    free(native.counts);
    free(shim.counts);
}

/* ---- a limit: --io-threads ---- */

/* With I/O threads, Redis's main thread hands the clients' writes to them and then spins
 * until they report done (handleClientsWithPendingWritesUsingThreads), and the I/O threads
 * spin before they sleep: threads that wait for each other by spinning, which no M:1 shim
 * can run (README, Limits). The server stops serving under the shim; what the shim owes
 * is to say where, and the blocking detector does: it names the spinning function. */
Test(redis, io_threads_spin_for_each_other_and_the_detector_names_where)
{
    if (!dir)
        cr_assert((dir = compat_tempdir("redis")));
    char *server = installed("redis-server"), *bench = installed("redis-benchmark");
    char port_arg[16], log[4096], bench_log[4096];
    snprintf(log, sizeof log, "%s/redis-io-threads.log", dir);
    snprintf(bench_log, sizeof bench_log, "%s/benchmark-io-threads.log", dir);
    int port = compat_free_port();
    snprintf(port_arg, sizeof port_arg, "%d", port);
    const char *const argv[] = {server, "--port", port_arg, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", dir, "--daemonize", "no",
                                "--jemalloc-bg-thread", "no", "--io-threads", "4",
                                "--io-threads-do-reads", "yes", NULL};
    const char *const env[] = {"GREENPATCH_BLOCK_WARN_MS=200", NULL};
    running[0] = compat_start(RUN_SHIM, argv, env, log);
    cr_assert(compat_wait_port(port, running[0], START_TIMEOUT_S),
              "redis-server with --io-threads did not start under the shim: see %s", log);
    /* 50 clients at once leave more pending writes than the 8 that start the I/O threads. */
    const char *const bench_argv[] = {bench, "-p", port_arg, "-n", "100000", "-c", "50",
                                      "-t", "set", "-q", NULL};
    running[1] = compat_start(RUN_NATIVE, bench_argv, NULL, bench_log);
    bool named = false;
    struct timespec pause = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 20 * 20 && !named; i++) {
        nanosleep(&pause, NULL);
        FILE *f = fopen(log, "r");
        char line[1024];
        bool report = false;
        while (f && fgets(line, sizeof line, f)) {
            report |= strstr(line, "has held the OS thread") != NULL;
            named |= report && strstr(line, "UsingThreads") != NULL;
        }
        if (f)
            fclose(f);
    }
    cr_expect(named,
              "redis-server --io-threads under the shim: no detector report naming the "
              "function that spins (handleClients...UsingThreads) within 20 s: see %s",
              log);
    /* The spinning server never runs its SIGTERM handler: it is killed. */
    compat_stop(running[1], 1);
    running[1] = -1;
    compat_stop(running[0], 1);
    running[0] = -1;
    free(server);
    free(bench);
}
