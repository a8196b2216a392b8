/* The seed's "WebSocket support": examples/ws_echo_server.c, an RFC 6455 echo server
 * written the plain thread-per-connection way (one pthread per WebSocket, blocking
 * read/write), run natively and under the shim, driven each time by examples/ws_echo_client.c
 * (always native: one thread, epoll), which holds 5,000 WebSockets open at once, sends
 * masked frames of every length encoding, pings and fragmented messages on each, checks
 * every echoed byte and closes each with the close handshake. Both runs must check the same
 * frames and the server must echo the same totals; natively the server has a thread per
 * WebSocket while it holds them all, under the shim one OS thread. A second case checks the
 * server's answers to protocol errors byte for byte, natively and under the shim. */
#include "compat.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { CONNS = 5000 };
/* The client's own deadline, then the harness's limits around it: together well under a
 * minute per mode even on a busy machine. */
enum { CLIENT_DEADLINE_S = 40, CLIENT_TIMEOUT_S = 45, SERVER_EXIT_TIMEOUT_S = 10 };

/* The server's log, a file of its own in a temp dir (removed at the end, also on failure). */
static char *temp_dir;
static void remove_temp_dir(void)
{
    compat_rmtree(temp_dir);
    free(temp_dir);
    temp_dir = NULL;
}

/* The server started by start_server, stopped at the end of the test whatever happens. */
static pid_t server = -1;
static void stop_server(void)
{
    if (server > 0)
        compat_stop(server, 2);
    server = -1;
    remove_temp_dir();
}

/* Everything in the file at path (NUL-terminated; empty if it cannot be read). */
static void read_log(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Starts ws_echo_server in mode on a free port to serve conns connections and exit; returns
 * the port once it listens. Its output goes to log. */
static int start_server(enum run_mode mode, unsigned conns, const char *log)
{
    int port = compat_free_port();
    cr_assert_gt(port, 0);
    char port_arg[16], conns_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(conns_arg, sizeof conns_arg, "%u", conns);
    const char *argv[] = {example_path("ws_echo_server"), port_arg, conns_arg, NULL};
    remove(log);
    server = compat_start(mode, argv, NULL, log);
    /* Waiting for its "listening on" line, not connecting: a probe connection would be one
     * of the conns it counts. */
    char expected[64], text[256];
    snprintf(expected, sizeof expected, "listening on %d\n", port);
    for (int i = 0; i < 500; i++) {
        read_log(log, text, sizeof text);
        if (strcmp(text, expected) == 0)
            return port;
        usleep(20000);
    }
    cr_assert_fail("the server did not start listening: '%s'", text);
    return -1; /* not reached: a failed assertion ends the test */
}

/* Waits for the server to exit by itself; returns its exit status and what it printed
 * after "listening on PORT". */
static int server_exit(const char *log, char *summary, size_t cap)
{
    int status = finish_program(server, SERVER_EXIT_TIMEOUT_S);
    server = -1;
    char text[1024];
    read_log(log, text, sizeof text);
    const char *rest = strchr(text, '\n');
    snprintf(summary, cap, "%s", rest ? rest + 1 : text);
    return status;
}

/* ---- 5,000 WebSockets ---- */

struct ws_run {
    char checked[256];  /* the client's first line: what it checked */
    char measured[256]; /* its second line: peak connections, server threads, time */
    char summary[512];  /* what the server printed at its end */
};

/* The N of "KEY=N" in line, or -1. */
static long field(const char *line, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s=", key);
    const char *p = strstr(line, pattern);
    return p ? strtol(p + strlen(pattern), NULL, 10) : -1;
}

static void run_ws(enum run_mode mode, struct ws_run *run)
{
    char log[4096];
    snprintf(log, sizeof log, "%s/server-%s.log", temp_dir,
             mode == RUN_SHIM ? "shim" : "native");
    int port = start_server(mode, CONNS, log);

    char port_arg[16], conns_arg[16], pid_arg[16], deadline_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(conns_arg, sizeof conns_arg, "%d", CONNS);
    snprintf(pid_arg, sizeof pid_arg, "%d", (int)server);
    snprintf(deadline_arg, sizeof deadline_arg, "%d", CLIENT_DEADLINE_S);
    const char *args[] = {"--port", port_arg, "--conns", conns_arg, "--server-pid", pid_arg,
                          "--deadline-s", deadline_arg, NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = CLIENT_TIMEOUT_S};
    struct run_result client;
    run_program(&client, &opts, example_path("ws_echo_client"), args);
    const char *second = strchr(client.out, '\n');
    snprintf(run->checked, sizeof run->checked, "%.*s",
             second ? (int)(second + 1 - client.out) : 0, client.out);
    snprintf(run->measured, sizeof run->measured, "%s", second ? second + 1 : "");
    char err[1024];
    snprintf(err, sizeof err, "%s", client.err);
    int client_exit = client.exit_code;
    bool timed_out = client.timed_out;
    run_result_free(&client);
    cr_assert(!timed_out, "the client ran past %d s", CLIENT_TIMEOUT_S);
    cr_assert_eq(client_exit, 0, "the client failed (%s server): %s%s",
                 mode == RUN_SHIM ? "shim" : "native", run->checked, err);

    int status = server_exit(log, run->summary, sizeof run->summary);
    cr_assert_eq(status, 0, "the server ended with %d (-1 - signal if killed): %s", status,
                 run->summary);
    cr_log_info("websocket %s: %s", mode == RUN_SHIM ? "shim" : "native", run->measured);
}

Test(websocket, holds_5000_websockets_on_one_os_thread, .fini = stop_server)
{
    temp_dir = compat_tempdir("websocket");
    cr_assert_not_null(temp_dir);
    struct ws_run native, shim;
    run_ws(RUN_NATIVE, &native);
    run_ws(RUN_SHIM, &shim);

    /* Per connection: 10 frames sent (handshake aside) and 9 checked, plus 2 each way on
     * every 100th connection; the payload bytes of everything echoed. */
    static const char checked[] = "conns=5000 frames_sent=55100 frames_checked=45100 "
                                  "payload_bytes=29841750 ok=1\n";
    static const char summary[] = "served 5000 connections: 30100 messages (29726750 bytes), "
                                  "10000 pings, 5000 closes, 0 errors\n";
    cr_assert_str_eq(native.checked, checked);
    cr_assert_str_eq(shim.checked, checked);
    cr_assert_str_eq(native.summary, summary);
    cr_assert_str_eq(shim.summary, summary);
    cr_assert_eq(field(native.measured, "peak_conns"), CONNS, "%s", native.measured);
    cr_assert_eq(field(shim.measured, "peak_conns"), CONNS, "%s", shim.measured);
    /* While it holds them all, every WebSocket has its thread, blocked in read(). */
    cr_assert_eq(field(native.measured, "server_threads"), CONNS + 1, "%s", native.measured);
    cr_assert_eq(field(shim.measured, "server_threads"), 1,
                 "under the shim the server must hold every WebSocket on one OS thread: %s",
                 shim.measured);
}

/* ---- protocol errors ---- */

/* The handshake of RFC 6455, section 1.3, with the answer the RFC gives for its key. */
#define REQUEST "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" \
                "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
                "Sec-WebSocket-Version: 13\r\n\r\n"
#define SWITCHING "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

/* What a client sends on one connection and the bytes it must get before the end of the
 * stream. Client frames below have the mask bit and a mask key: 00 00 00 00 leaves the
 * payload as it is, 01 02 03 04 turns "abc" into 60 60 60. */
struct exchange {
    const char *what;
    const char *send;
    size_t send_len;
    const char *expect;
    size_t expect_len;
};
#define BYTES(s) s, sizeof s - 1

static const struct exchange exchanges[] = {
    {"no Upgrade header: 400", BYTES("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
     BYTES("HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n"
           "Connection: close\r\n\r\n")},
    {"unmasked frame: 1002", BYTES(REQUEST "\x81\x02hi"), BYTES(SWITCHING "\x88\x02\x03\xea")},
    {"invalid UTF-8 (overlong '/'): 1007", BYTES(REQUEST "\x81\x82\0\0\0\0\xc0\xaf"),
     BYTES(SWITCHING "\x88\x02\x03\xef")},
    {"17 MiB message: 1009", BYTES(REQUEST "\x82\xff\0\0\0\0\x01\x10\0\0\0\0\0\0"),
     BYTES(SWITCHING "\x88\x02\x03\xf1")},
    {"ping, then close 1001", BYTES(REQUEST "\x89\x83\x01\x02\x03\x04\x60\x60\x60"
                                            "\x88\x82\0\0\0\0\x03\xe9"),
     BYTES(SWITCHING "\x8a\x03" "abc" "\x88\x02\x03\xe9")},
};
enum { EXCHANGES = sizeof exchanges / sizeof exchanges[0] };

/* "N bytes: xx xx ...": bytes as a readable difference in a failed comparison. */
static void hex(const char *bytes, size_t len, char *out, size_t cap)
{
    size_t at = (size_t)snprintf(out, cap, "%zu bytes:", len);
    for (size_t i = 0; i < len && at + 4 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, " %02x", (unsigned char)bytes[i]);
}

/* Sends e->send on a new connection and returns everything received until the server
 * closes (at most 10 s), as hex() shows it. */
static void converse(int port, const struct exchange *e, char *got, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval limit = {10, 0};
    cr_assert(fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0 &&
              connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert_eq(send(fd, e->send, e->send_len, MSG_NOSIGNAL), (ssize_t)e->send_len);
    char in[512];
    size_t len = 0;
    for (ssize_t n; len < sizeof in && (n = recv(fd, in + len, sizeof in - len, 0)) > 0;)
        len += (size_t)n;
    close(fd);
    hex(in, len, got, cap);
}

Test(websocket, protocol_errors_same_natively_and_under_shim, .fini = stop_server)
{
    temp_dir = compat_tempdir("websocket-errors");
    cr_assert_not_null(temp_dir);
    char log[4096], summary[512];
    snprintf(log, sizeof log, "%s/server.log", temp_dir);
    for (int shim = 0; shim <= 1; shim++) {
        int port = start_server(shim ? RUN_SHIM : RUN_NATIVE, EXCHANGES, log);
        for (int i = 0; i < EXCHANGES; i++) {
            char got[2048], expected[2048];
            converse(port, &exchanges[i], got, sizeof got);
            hex(exchanges[i].expect, exchanges[i].expect_len, expected, sizeof expected);
            cr_expect_str_eq(got, expected, "%s, %s", exchanges[i].what,
                             shim ? "under the shim" : "natively");
        }
        int status = server_exit(log, summary, sizeof summary);
        cr_assert_eq(status, 0, "%s", summary);
        cr_assert_str_eq(summary, "served 5 connections: 0 messages (0 bytes), 1 pings, "
                                  "1 closes, 3 errors\n");
    }
}
