/* daemon.h: what every thread-per-connection server in examples/ writes the same way, the
 * way such daemons were written in 2005: a listening socket on 127.0.0.1, the descriptor
 * limit raised for one descriptor per client, an accept loop that hands each connection to
 * a new detached thread (the socket calls themselves are in net.h). Header-only, so that
 * each example stays one program. */
#ifndef EXAMPLES_DAEMON_H
#define EXAMPLES_DAEMON_H

#include "net.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

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

/* Listens on 127.0.0.1:port (0: a port the kernel picks) and prints "listening on PORT". */
static int listen_on_loopback(unsigned port)
{
    unsigned bound;
    int fd = listen_on_port(port, &bound);
    printf("listening on %u\n", bound);
    fflush(stdout);
    return fd;
}

/* Counts the connections whose threads have finished, so that main can wait for the last
 * one before exiting. */
static pthread_mutex_t finished_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished_changed = PTHREAD_COND_INITIALIZER;
static unsigned long finished_connections;

/* Called by a connection's thread as its last act. */
static void connection_finished(void)
{
    pthread_mutex_lock(&finished_lock);
    finished_connections++;
    pthread_cond_signal(&finished_changed);
    pthread_mutex_unlock(&finished_lock);
}

/* Accepts one connection and hands its descriptor to serve in a new detached thread. */
static void accept_and_serve(int listen_fd, void *(*serve)(void *fd))
{
    int fd;
    do
        fd = accept(listen_fd, NULL, NULL);
    while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
    if (fd < 0)
        die("accept");
    pthread_t thread;
    int err = pthread_create(&thread, NULL, serve, (void *)(intptr_t)fd);
    if (err != 0) {
        /* Out of threads: drop this client but keep serving the others. */
        fprintf(stderr, "%s: pthread_create: %s\n", program_invocation_short_name,
                strerror(err));
        close(fd);
        connection_finished();
        return;
    }
    pthread_detach(thread);
}

/* The daemon's life, from its command line [PORT [CONNECTIONS]]: listens on 127.0.0.1:PORT
 * (0 or none: a port the kernel picks) and serves every connection with serve(fd) in a
 * thread of its own; forever without CONNECTIONS (or 0), else that many connections,
 * returning CONNECTIONS once all of them have finished (so that test runs end by
 * themselves). */
static unsigned long serve_connections(int argc, char **argv, void *(*serve)(void *fd))
{
    unsigned port = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    unsigned long max_connections = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    /* A client that disconnects while we write to it must cost us that connection, not
     * the whole daemon. */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    int listen_fd = listen_on_loopback(port);
    if (max_connections == 0)
        for (;;)
            accept_and_serve(listen_fd, serve);
    for (unsigned long accepted = 0; accepted < max_connections; accepted++)
        accept_and_serve(listen_fd, serve);
    close(listen_fd);
    pthread_mutex_lock(&finished_lock);
    while (finished_connections < max_connections)
        pthread_cond_wait(&finished_changed, &finished_lock);
    pthread_mutex_unlock(&finished_lock);
    return max_connections;
}

#endif
