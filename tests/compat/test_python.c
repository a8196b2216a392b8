/* Debian's python3 (/usr/bin/python3, unmodified) under the shim, with the scripts of
 * tests/compat/python/:
 * - threads_socket_subprocess.py: threads, a queue, sleeps, a threaded TCP exchange on
 *   127.0.0.1 and subprocesses; stdout and exit status compared byte for byte with the
 *   native run;
 * - http_server.py: http.server.ThreadingHTTPServer (a thread per connection) with
 *   HTTP/1.1 keep-alive, holding 1,000 connections of tests/compat/progs/http_keepalive.c
 *   open at once (so 1,002 Python threads), every answer byte checked by the client;
 * - urllib_clients.py: many threads fetching from that server with urllib.request.
 * Under the shim the OS threads are the one that runs every green thread plus the shim's
 * pool workers, which run the calls that cannot be made cooperative (here getaddrinfo, which
 * socket.create_connection and urllib call): the tests count both (compat_os_threads) and
 * expect exactly one OS thread that is not a pool worker, and at most GREENPATCH_POOL_SIZE's
 * default of those. */
#include "compat.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char python[] = "/usr/bin/python3";
enum { POOL_SIZE_DEFAULT = 20, CONNECTIONS = 1000, ROUNDS = 3 };

/* The "os-threads WHERE" and "pool-workers WHERE" lines of a run of a script reporting with
 * os_threads.py: natively several OS threads and no pool worker; under the shim one OS
 * thread besides the pool's workers. */
static void expect_green_python(const struct run_pair *pair, const char *script,
                                const char *where)
{
    int native = reported_os_threads(&pair->native, where);
    int shim = reported_os_threads(&pair->shim, where);
    char key[96];
    snprintf(key, sizeof key, "pool-workers %s: ", where);
    const char *at = strstr(pair->shim.err, key);
    int pool = at ? atoi(at + strlen(key)) : -1;
    cr_log_info("%s at %s: %d OS threads natively; under the shim %d, of which %d pool workers",
                script, where, native, shim, pool);
    cr_expect_gt(native, 1, "%s natively at %s: %d OS threads, expected several", script, where,
                 native);
    cr_expect(pool >= 0 && pool <= POOL_SIZE_DEFAULT && shim - pool == 1,
              "%s under the shim at %s: %d OS threads, %d of them pool workers: expected one "
              "more than the pool workers\nstderr:\n%s",
              script, where, shim, pool, pair->shim.err);
}

static const char threads_out[] =
    "queue: 64 jobs on 8 workers, sum of squares 85344\n"
    "tcp: 32 clients x 5 rounds, 3310 answer bytes, first b'CLIENT 0 ROUND 0 17\\n', "
    "last b'CLIENT 31 ROUND 4 18\\n'\n"
    "subprocess 0: b'CHILD 0 SAYS HI\\n', exit 0\n"
    "subprocess 1: b'CHILD 1 SAYS HI\\n', exit 1\n"
    "subprocess 2: b'CHILD 2 SAYS HI\\n', exit 2\n"
    "subprocess 3: b'CHILD 3 SAYS HI\\n', exit 3\n"
    "subprocess 4: b'CHILD 4 SAYS HI\\n', exit 4\n"
    "subprocess 5: b'CHILD 5 SAYS HI\\n', exit 0\n"
    "communicate: 200000 bytes back, exit 0\n"
    "timed waits: timeout True, event True\n"
    "failures: 0\n";

Test(python, threads_queue_sleep_socket_and_subprocess, .timeout = 60)
{
    const char *script = compat_data_path("python/threads_socket_subprocess.py");
    const char *const args[] = {script, NULL};
    struct run_pair pair;
    run_both_expect(&pair, python, args, NULL, threads_out, 0);
    expect_green_python(&pair, "threads_socket_subprocess.py", "peak");
    run_pair_free(&pair);
}

/* ---- http_server.py ---- */

struct server {
    pid_t pid;
    int port;
    char *dir; /* the log is dir/server.log */
    char log[4200];
};

/* The server a failed assertion left running, stopped by the suite's fini. */
static pid_t running;

static void stop_running(void)
{
    if (running > 0)
        compat_stop(running, 10);
    running = 0;
}

TestSuite(python, .fini = stop_running);

static void server_start(struct server *s, enum run_mode mode)
{
    s->dir = compat_tempdir("python");
    cr_assert(s->dir, "mkdtemp: %s", strerror(errno));
    snprintf(s->log, sizeof s->log, "%s/server.log", s->dir);
    s->port = compat_free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    const char *const argv[] = {python, compat_data_path("python/http_server.py"), port, NULL};
    s->pid = running = compat_start(mode, argv, NULL, s->log);
    cr_assert(compat_wait_port(s->port, s->pid, 20), "http_server.py (%s) did not start",
              mode == RUN_SHIM ? "under the shim" : "natively");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65537);
    if (f) {
        size_t n = fread(text, 1, 65536, f);
        text[n] = 0;
        fclose(f);
    }
    return text;
}

/* Stops the server: SIGTERM ends it with status 0, and it must have said nothing. */
static void server_stop(struct server *s, const char *how)
{
    if (s->pid <= 0)
        return;
    int status = compat_stop(s->pid, 10);
    s->pid = running = 0;
    char *log = slurp(s->log);
    cr_expect_eq(status, 0, "http_server.py %s: ended with %d\nlog:\n%s", how, status, log);
    cr_expect_str_empty(log, "http_server.py %s wrote:\n%s", how, log);
    free(log);
    compat_rmtree(s->dir);
    free(s->dir);
}

/* What the client prints, and the server's OS threads (and pool workers) at its peak. */
struct keepalive_run {
    char out[4096];
    int exit_code;
    int os_threads, pool_workers;
};

/* Reads the client's stdout up to and including its "peak" line (or to EOF). */
static size_t read_peak_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap && !memchr(buf, '\n', len)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 90 * 1000) <= 0)
            break;
        ssize_t n = read(fd, buf + len, 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    return len;
}

static void run_keepalive(struct keepalive_run *k, enum run_mode server_mode)
{
    const char *how = server_mode == RUN_SHIM ? "under the shim" : "natively";
    struct server s;
    server_start(&s, server_mode);
    char port[16], conns[16], rounds[16];
    snprintf(port, sizeof port, "%d", s.port);
    snprintf(conns, sizeof conns, "%d", CONNECTIONS);
    snprintf(rounds, sizeof rounds, "%d", ROUNDS);
    const char *const args[] = {port, conns, rounds, NULL};
    struct run_opts native = {.mode = RUN_NATIVE};
    int fd;
    pid_t client = start_program(&native, compat_prog_path("http_keepalive"), args, &fd);
    size_t len = read_peak_line(fd, k->out, sizeof k->out);
    k->os_threads = compat_os_threads(s.pid, &k->pool_workers);
    cr_log_info("http_server.py %s, %d keep-alive connections open: %d OS threads, %d of them "
                "pool workers", how, CONNECTIONS, k->os_threads, k->pool_workers);
    kill(client, SIGUSR1);
    for (ssize_t n; len + 1 < sizeof k->out &&
                    (n = read(fd, k->out + len, sizeof k->out - 1 - len)) > 0;)
        len += (size_t)n;
    k->out[len] = 0;
    close(fd);
    k->exit_code = finish_program(client, 90);
    server_stop(&s, how);
}

Test(python, threading_http_server_holds_1000_keepalive_clients, .timeout = 200)
{
    static const char expected[] =
        "peak: 1000 connections open, each answered once; the server counts 1002 threads\n"
        "1000 connections x 3 requests: 3000 answers, 3681042 bytes, every byte as expected\n";
    struct keepalive_run native, shim;
    run_keepalive(&native, RUN_NATIVE);
    run_keepalive(&shim, RUN_SHIM);
    cr_expect_str_eq(native.out, expected, "against the native server the client printed:\n%s",
                     native.out);
    cr_expect_eq(native.exit_code, 0, "against the native server the client ended with %d",
                 native.exit_code);
    cr_expect_str_eq(shim.out, native.out, "against the server under the shim the client "
                     "printed:\n%s", shim.out);
    cr_expect_eq(shim.exit_code, 0, "against the server under the shim the client ended with %d",
                 shim.exit_code);
    /* Natively a thread per connection; under the shim 1,002 green threads on one. */
    cr_expect_gt(native.os_threads, CONNECTIONS, "natively: %d OS threads", native.os_threads);
    cr_expect_eq(native.pool_workers, 0, "natively: %d threads block every signal",
                 native.pool_workers);
    cr_expect(shim.os_threads - shim.pool_workers == 1 && shim.pool_workers <= POOL_SIZE_DEFAULT,
              "under the shim: %d OS threads, %d of them pool workers", shim.os_threads,
              shim.pool_workers);
}

static const char urllib_threads[] = "100", urllib_requests[] = "10";

static void run_urllib(struct run_result *r, enum run_mode mode)
{
    struct server s;
    server_start(&s, mode);
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    const char *const args[] = {compat_data_path("python/urllib_clients.py"), port, urllib_threads,
                                urllib_requests, NULL};
    const char *const env[] = {"REPORT_OS_THREADS=1", NULL};
    run_in_mode(r, mode, python, args, env, NULL);
    server_stop(&s, mode == RUN_SHIM ? "under the shim" : "natively");
}

Test(python, urllib_clients_in_100_threads, .timeout = 120)
{
    struct run_pair pair;
    run_urllib(&pair.native, RUN_NATIVE);
    run_urllib(&pair.shim, RUN_SHIM);
    expect_finished(&pair.native, "urllib_clients.py", "natively");
    expect_finished(&pair.shim, "urllib_clients.py", "under the shim");
    cr_expect_str_eq(pair.native.out,
                     "100 threads x 10 requests: 1000 answers, 1094390 body bytes, 0 wrong\n",
                     "natively:\n%s\nstderr:\n%s", pair.native.out, pair.native.err);
    cr_expect_eq(pair.native.exit_code, 0, "natively: exit %d", pair.native.exit_code);
    cr_expect_str_eq(pair.shim.out, pair.native.out, "under the shim:\n%s\nstderr:\n%s",
                     pair.shim.out, pair.shim.err);
    cr_expect_eq(pair.shim.exit_code, 0, "under the shim: exit %d", pair.shim.exit_code);
    expect_green_python(&pair, "urllib_clients.py", "peak");
    run_pair_free(&pair);
}
