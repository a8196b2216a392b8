/* echo_server: a thread-per-connection TCP echo daemon, written the way many were in 2005.
 *
 * One detached pthread per accepted connection, plain blocking accept()/read()/write(), no
 * poll, no epoll, no O_NONBLOCK. Natively every live connection costs an OS thread with its
 * own 8 MiB stack; under LD_PRELOAD=libgreenpatch.so the very same binary serves them all
 * from one OS thread. It is the demo (scripts/demo) and the many-connections test
 * (tests/test_shim_echo.c), driven by examples/echo_client.c.
 *
 * Usage: echo_server [PORT [CONNECTIONS]]
 *   PORT         TCP port on 127.0.0.1; 0 (the default) lets the kernel pick one.
 *   CONNECTIONS  when given and > 0: accept that many connections, wait until every one of
 *                them has been closed, then exit 0, so that test runs end by themselves.
 *
 * Standard output: "listening on PORT" once the socket is listening, and, when
 * CONNECTIONS is given, "served CONNECTIONS connections" just before exiting. */
#include "daemon.h"

/* The whole life of one connection: echo everything back until the client closes. */
static void *serve_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("echo_server: read");
            break;
        }
        if (n == 0)
            break; /* the client closed its end: we are done */
        if (!write_all(fd, buf, (size_t)n)) {
            perror("echo_server: write");
            break;
        }
    }
    close(fd);
    connection_finished();
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long served = serve_connections(argc, argv, serve_connection);
    printf("served %lu connections\n", served);
    return 0;
}
