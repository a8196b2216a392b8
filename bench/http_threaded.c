/* A thread-per-connection HTTP/1.1 server, written as such servers are: blocking sockets,
 * one detached thread (default attributes) per accepted connection, keep-alive, the same
 * small response to every request (http_common.h). scripts/bench-http runs it natively and
 * under the shim, unmodified, against the libev server (http_libev.c).
 * On SIGTERM it writes "accepted served" to COUNTS (if given) and exits.
 * Usage: http_threaded PORT [COUNTS] */
#include "http_common.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

static long accepted, served; /* atomically updated: threads run in parallel natively */

static void on_term(int sig)
{
    (void)sig;
    http_write_counts(__atomic_load_n(&accepted, __ATOMIC_RELAXED),
                      __atomic_load_n(&served, __ATOMIC_RELAXED));
    _exit(0);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char in[HTTP_IN], out[HTTP_OUT];
    size_t have = 0;
    int answered = 0;
    for (;;) {
        ssize_t n = read(fd, in + have, sizeof in - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t made;
        while ((made = http_answer(in, &have, out)) > 0) {
            if (write_all(fd, out, made) < 0)
                goto done;
            if (!answered) {
                answered = 1;
                __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
            }
        }
        if (have == sizeof in)
            break; /* a request larger than the buffer */
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    int listener = http_start(argc, argv, "http_threaded");
    signal(SIGTERM, on_term);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
                usleep(1000); /* out of descriptors for now: connections will close */
            continue;
        }
        __atomic_add_fetch(&accepted, 1, __ATOMIC_RELAXED);
        pthread_t t;
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
}
