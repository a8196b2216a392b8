/* The echo demo as a test. examples/echo_server.c is an unmodified thread-per-connection
 * daemon (one detached pthread per client, blocking accept/read/write); under the shim it
 * must hold 5,000 connections at once on exactly one OS thread, echo every byte right and
 * exit 0 by itself once all its clients have gone. examples/echo_client.c (always native,
 * one thread, epoll) drives it, checks every byte and samples the server's OS thread count
 * while it holds every connection. A smaller native run shows that the pair itself is right
 * and that natively each connection costs an OS thread. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROUNDS = 3, MESSAGE_SIZE = 1024 };
/* The client's own deadline, then the harness's limits around it: together under a minute. */
enum { CLIENT_DEADLINE_S = 40, CLIENT_TIMEOUT_S = 50, SERVER_EXIT_TIMEOUT_S = 10 };

/* Reads from fd into buf (NUL-terminated) until end of file, or until the first newline
 * when one_line is set, or until timeout_s has passed. Returns false on timeout. */
static bool read_text(int fd, char *buf, size_t cap, int timeout_s, bool one_line)
{
    size_t len = 0;
    buf[0] = '\0';
    while (len + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, timeout_s * 1000);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        /* One byte at a time on the first line, so that nothing after it is consumed. */
        ssize_t n = read(fd, buf + len, one_line ? 1 : cap - 1 - len);
        if (n <= 0)
            return true;
        len += (size_t)n;
        buf[len] = '\0';
        if (one_line && buf[len - 1] == '\n')
            return true;
    }
    return true;
}

/* The value of KEY in a line of space-separated key=value fields, or -1 if absent. */
static long field(const char *line, const char *key)
{
    size_t key_len = strlen(key);
    for (const char *p = line; p && *p; p = strchr(p, ' ')) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '=')
            return strtol(p + key_len + 1, NULL, 10);
    }
    return -1;
}

/* What one server run under the client's load showed. */
struct echo_run {
    char client_line[512]; /* the client's result line */
    long server_threads;   /* OS threads of the server while it held every connection */
};

/* Starts the server in the given mode, loads it with conns connections from the client,
 * waits for the server to exit by itself and checks everything that does not depend on
 * the mode. The server is always reaped before any assertion can end the test. */
static void run_echo(enum run_mode mode, unsigned conns, struct echo_run *run)
{
    char conns_arg[32], port_arg[32], pid_arg[32], rounds_arg[32], size_arg[32],
        deadline_arg[32];
    snprintf(conns_arg, sizeof conns_arg, "%u", conns);
    struct run_opts server_opts = {.mode = mode};
    const char *server_args[] = {"0", conns_arg, NULL};
    int server_out;
    pid_t server = start_program(&server_opts, example_path("echo_server"), server_args,
                                 &server_out);

    char first_line[128];
    unsigned port = 0;
    bool listening = read_text(server_out, first_line, sizeof first_line, 10, true) &&
                     sscanf(first_line, "listening on %u", &port) == 1;
    if (!listening) {
        int status = finish_program(server, 0);
        close(server_out);
        cr_assert(listening, "the server did not report its port: '%s' (status %d)",
                  first_line, status);
    }

    snprintf(port_arg, sizeof port_arg, "%u", port);
    snprintf(pid_arg, sizeof pid_arg, "%d", (int)server);
    snprintf(rounds_arg, sizeof rounds_arg, "%d", ROUNDS);
    snprintf(size_arg, sizeof size_arg, "%d", MESSAGE_SIZE);
    snprintf(deadline_arg, sizeof deadline_arg, "%d", CLIENT_DEADLINE_S);
    const char *client_args[] = {"--port", port_arg, "--conns", conns_arg,
                                 "--rounds", rounds_arg, "--size", size_arg,
                                 "--server-pid", pid_arg, "--deadline-s", deadline_arg, NULL};
    struct run_opts client_opts = {.mode = RUN_NATIVE, .timeout_s = CLIENT_TIMEOUT_S};
    struct run_result client;
    run_program(&client, &client_opts, example_path("echo_client"), client_args);

    /* A failed client leaves the server waiting for connections that never come. */
    bool client_ok = client.exit_code == 0;
    int server_status = finish_program(server, client_ok ? SERVER_EXIT_TIMEOUT_S : 0);
    char server_rest[256];
    read_text(server_out, server_rest, sizeof server_rest, 5, false);
    close(server_out);

    snprintf(run->client_line, sizeof run->client_line, "%s", client.out);
    char client_err[1024];
    snprintf(client_err, sizeof client_err, "%s", client.err);
    bool client_in_time = !client.timed_out;
    run_result_free(&client);

    cr_assert(client_in_time, "the client ran past %d s", CLIENT_TIMEOUT_S);
    cr_assert(client_ok, "client failed: %s%s", run->client_line, client_err);
    cr_assert_eq(field(run->client_line, "ok"), 1, "%s", run->client_line);
    cr_assert_eq(field(run->client_line, "conns"), conns, "%s", run->client_line);
    cr_assert_eq(field(run->client_line, "peak_conns"), conns,
                 "not every connection was held at once: %s", run->client_line);
    cr_assert_eq(field(run->client_line, "bytes"), (long)conns * ROUNDS * MESSAGE_SIZE,
                 "%s", run->client_line);
    cr_assert_eq(server_status, 0, "the server ended with %d (-1 - signal if killed)",
                 server_status);
    char served[64];
    snprintf(served, sizeof served, "served %u connections\n", conns);
    cr_assert_str_eq(server_rest, served);
    run->server_threads = field(run->client_line, "server_threads");
}

Test(shim_echo, holds_5000_connections_on_one_os_thread)
{
    struct echo_run run;
    run_echo(RUN_SHIM, 5000, &run);
    cr_assert_eq(run.server_threads, 1,
                 "under the shim the server must use one OS thread: %s", run.client_line);
}

/* Natively each live connection has its thread: N + 1 tasks with the main thread. */
Test(shim_echo, native_server_uses_a_thread_per_connection)
{
    struct echo_run run;
    run_echo(RUN_NATIVE, 200, &run);
    cr_assert_eq(run.server_threads, 201, "%s", run.client_line);
}
