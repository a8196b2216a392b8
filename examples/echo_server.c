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
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Counts the connections whose threads have finished, so that main can wait for the last
 * one before exiting. */
static pthread_mutex_t finished_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished_changed = PTHREAD_COND_INITIALIZER;
static unsigned long finished_connections;

static void die(const char *what)
{
    fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A daemon that holds one descriptor per client needs more than the usual soft limit of
 * 1024; the hard limit is what the administrator allows, so take all of it. */
static void raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("getrlimit");
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("setrlimit");
}

static int listen_on_loopback(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        die("setsockopt SO_REUSEADDR");
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("bind");
    /* A large backlog: clients may connect in bursts faster than one accept loop takes
     * them, and the kernel caps it at net.core.somaxconn anyway. */
    if (listen(fd, SOMAXCONN) != 0)
        die("listen");
    return fd;
}

static unsigned bound_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        die("getsockname");
    return ntohs(addr.sin_port);
}

/* Writes all of buf, as a blocking write may legitimately write less than asked. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void connection_finished(void)
{
    pthread_mutex_lock(&finished_lock);
    finished_connections++;
    pthread_cond_signal(&finished_changed);
    pthread_mutex_unlock(&finished_lock);
}

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
        if (write_all(fd, buf, (size_t)n) != 0) {
            perror("echo_server: write");
            break;
        }
    }
    close(fd);
    connection_finished();
    return NULL;
}

/* Accepts one connection and hands it to a new detached thread. */
static void accept_and_serve(int listen_fd)
{
    int fd;
    do
        fd = accept(listen_fd, NULL, NULL);
    while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
    if (fd < 0)
        die("accept");

    pthread_t thread;
    int err = pthread_create(&thread, NULL, serve_connection, (void *)(intptr_t)fd);
    if (err != 0) {
        /* Out of threads: drop this client but keep serving the others. */
        fprintf(stderr, "echo_server: pthread_create: %s\n", strerror(err));
        close(fd);
        connection_finished();
        return;
    }
    pthread_detach(thread);
}

int main(int argc, char **argv)
{
    unsigned port = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    unsigned long max_connections = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;

    /* A client that disconnects while we write to it must cost us that connection, not
     * the whole daemon. */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    int listen_fd = listen_on_loopback(port);
    printf("listening on %u\n", bound_port(listen_fd));
    fflush(stdout);

    if (max_connections == 0)
        for (;;)
            accept_and_serve(listen_fd);

    for (unsigned long accepted = 0; accepted < max_connections; accepted++)
        accept_and_serve(listen_fd);
    close(listen_fd);

    pthread_mutex_lock(&finished_lock);
    while (finished_connections < max_connections)
        pthread_cond_wait(&finished_changed, &finished_lock);
    pthread_mutex_unlock(&finished_lock);

    printf("served %lu connections\n", max_connections);
    return 0;
}
