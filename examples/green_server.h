/* green_server.h: the server of the crawler and offload_server examples, a green thread
 * per connection, as eventlet.serve runs a green thread per client:
 *
 *     struct green_server server;
 *     green_server_start(&server, serve);   listens on 127.0.0.1, a port the kernel picks
 *     ... connect_to_port(server.port) ...  each connection runs serve((void *)(intptr_t)fd)
 *     green_server_stop(&server);           ends the accept loop
 *
 * The accept loop is itself a green thread, and serve runs in a green thread of its own
 * for each connection, so a slow client holds up nobody. Header-only, so that each example
 * stays one program. */
#ifndef EXAMPLES_GREEN_SERVER_H
#define EXAMPLES_GREEN_SERVER_H

#include "greenpatch.h"
#include "net.h"

#include <signal.h>

struct green_server {
    int listen_fd;
    unsigned port;             /* where clients connect: 127.0.0.1:port */
    void *(*serve)(void *fd);  /* the life of one connection; it closes fd */
    gp_thread_t accept_thread; /* the accept loop */
};

/* The accept loop: one detached green thread per connection (nobody joins it). It runs
 * until green_server_stop ends it with gp_kill: accept() is a cancellation point, so the
 * kill reaches it there. */
static inline void *accept_loop(void *arg)
{
    struct green_server *server = arg;
    for (;;) {
        int fd = accept(server->listen_fd, NULL, NULL);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue; /* a client that gave up before we took it */
        if (fd < 0)
            break;
        gp_thread_t connection;
        if (gp_spawn(&connection, server->serve, (void *)(intptr_t)fd) != 0) {
            close(fd); /* out of memory: drop this client, serve the others */
            continue;
        }
        gp_detach(connection);
    }
    perror("accept");
    return NULL;
}

/* Listens on 127.0.0.1 (server->port says where) and starts the accept loop, which runs
 * once the caller waits. Exits on an error. */
static inline void green_server_start(struct green_server *server, void *(*serve)(void *fd))
{
    /* A client that closes while we write to it must cost us that connection (write fails
     * with EPIPE), not the whole program. */
    signal(SIGPIPE, SIG_IGN);
    server->listen_fd = listen_on_port(0, &server->port);
    server->serve = serve;
    int err = gp_spawn(&server->accept_thread, accept_loop, server);
    if (err != 0)
        die_with("gp_spawn", err);
}

/* Ends the accept loop (gp_kill: it wakes in accept() and exits there) and closes the
 * listening socket. Connections being served go on. Returns true when the loop was ended
 * by the kill, as it should be, rather than by an error of accept(). */
static inline bool green_server_stop(struct green_server *server)
{
    void *how = NULL;
    if (gp_kill(server->accept_thread) != 0 || gp_join(server->accept_thread, &how) != 0)
        return false;
    close(server->listen_fd);
    return how == GP_KILLED;
}

#endif
