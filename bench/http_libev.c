/* The ceiling for scripts/bench-http: the HTTP server of http_threaded.c written by hand as
 * a single-threaded libev program. Non-blocking sockets, one ev_io per connection that
 * watches for reading (and for writing only while a response did not fit in the socket),
 * one read per readiness report, the same responses (http_common.h).
 * On SIGTERM it writes "accepted served" to COUNTS (if given) and exits.
 * Usage: http_libev PORT [COUNTS] */
#include "http_common.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdbool.h>

struct conn {
    ev_io io;
    size_t have;          /* bytes in in */
    size_t pending, sent; /* out holds pending bytes not yet written, sent of them were */
    bool answered;
    char in[HTTP_IN];
    char out[HTTP_OUT];
};

static long accepted, served;

static void on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    http_write_counts(accepted, served);
    _exit(0);
}

static void finish(struct ev_loop *loop, struct conn *c)
{
    ev_io_stop(loop, &c->io);
    close(c->io.fd);
    free(c);
}

static void watch(struct ev_loop *loop, struct conn *c, int events)
{
    if (c->io.events == events)
        return;
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->io.fd, events);
    ev_io_start(loop, &c->io);
}

/* Writes what is pending and answers what came meanwhile; false when the connection ended. */
static bool flush(struct ev_loop *loop, struct conn *c)
{
    for (;;) {
        while (c->sent < c->pending) {
            ssize_t w = write(c->io.fd, c->out + c->sent, c->pending - c->sent);
            if (w < 0 && errno == EAGAIN) {
                watch(loop, c, EV_WRITE);
                return true;
            }
            if (w <= 0)
                return false;
            c->sent += (size_t)w;
        }
        c->sent = 0;
        if (!(c->pending = http_answer(c->in, &c->have, c->out)))
            break;
        if (!c->answered) {
            c->answered = true;
            served++;
        }
    }
    if (c->have == sizeof c->in)
        return false; /* a request larger than the buffer */
    watch(loop, c, EV_READ);
    return true;
}

static void on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;
    if (revents & EV_READ) {
        ssize_t n = read(w->fd, c->in + c->have, sizeof c->in - c->have);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            finish(loop, c);
            return;
        }
        c->have += (size_t)n;
    }
    if (!flush(loop, c))
        finish(loop, c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN: all taken; EMFILE and the like: connections will close */
        accepted++;
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->have = c->pending = c->sent = 0;
        c->answered = false;
        ev_io_init(&c->io, on_conn, fd, EV_READ);
        ev_io_start(loop, &c->io);
    }
}

int main(int argc, char **argv)
{
    int listener = http_start(argc, argv, "http_libev");
    fcntl(listener, F_SETFL, O_NONBLOCK);
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    ev_io accept_io;
    ev_io_init(&accept_io, on_accept, listener, EV_READ);
    ev_io_start(loop, &accept_io);
    ev_signal term;
    ev_signal_init(&term, on_term, SIGTERM);
    ev_signal_start(loop, &term);
    ev_run(loop, 0);
    return 0;
}
