/* Shared by the stdio_* helper programs: stdio streams on the two ends of a socket or a
 * pipe, a "feeder" thread that writes prepared pieces with short pauses between them (so
 * that a reader in another thread waits for each piece), and the checks the programs
 * make. Plain libc only; nothing here knows about the shim. Results go to stdout in
 * deterministic lines; a failed check prints "FAIL: ..." and exits with status 1. */
#ifndef STDIO_UTIL_H
#define STDIO_UTIL_H

#include "coop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { STDIO_ALARM_S = 10, PAUSE_US = 1000 };

static inline void stdio_fail(int line, const char *what)
{
    int err = errno;
    printf("FAIL: line %d: %s (errno %s)\n", line, what, error_name(err));
    fflush(stdout);
    exit(1);
}

#define MUST(cond, what)                                                                      \
    do {                                                                                      \
        if (!(cond))                                                                          \
            stdio_fail(__LINE__, (what));                                                     \
    } while (0)

/* A connected pair: AF_UNIX stream sockets, or a pipe (fds[0] reads, fds[1] writes). */
static inline void socket_pair(int fds[2])
{
    MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0, "socketpair");
}

/* A socket pair whose buffers are small (4 KiB asked, the kernel's minimum granted), so
 * that a writer to fds[0] fills them quickly. */
static inline void small_socket_pair(int fds[2])
{
    socket_pair(fds);
    int size = 4096;
    MUST(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0 &&
             setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0,
         "small buffers");
}

static inline void pipe_pair(int fds[2]) { MUST(pipe(fds) == 0, "pipe"); }

static inline FILE *open_stream(int fd, const char *mode)
{
    FILE *f = fdopen(fd, mode);
    MUST(f != NULL, "fdopen");
    return f;
}

/* Writes all of buf with write(2). */
static inline void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        MUST(w > 0, "write");
        p += w;
        n -= (size_t)w;
    }
}

/* The feeder: writes each piece with write(2), pausing before each, then closes fd when
 * asked (the reader's EOF). Used as a coop ticker's wake function or a thread of its own. */
struct feeder {
    int fd;
    const char *const *pieces; /* NULL-terminated */
    bool close_after;
};

static inline void feed(void *arg)
{
    struct feeder *f = arg;
    for (const char *const *p = f->pieces; *p; p++) {
        usleep(PAUSE_US);
        write_all(f->fd, *p, strlen(*p));
    }
    if (f->close_after)
        MUST(close(f->fd) == 0, "close");
}

static inline void *feed_thread(void *arg)
{
    feed(arg);
    return NULL;
}

/* The stream's flags the way the programs print them. */
static inline const char *flags_of(FILE *f)
{
    static char buf[4][32];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 32, "ferror %d feof %d", ferror(f) != 0, feof(f) != 0);
    return b;
}

/* A byte pattern that shows where a byte came from: position i holds pattern_byte(i). */
static inline char pattern_byte(size_t i) { return (char)('a' + (i * 7 + i / 251) % 26); }

static inline void fill_pattern(char *buf, size_t n, size_t start)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern_byte(start + i);
}

static inline bool is_pattern(const char *buf, size_t n, size_t start)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pattern_byte(start + i))
            return false;
    return true;
}

/* Writes total pattern bytes in chunks of chunk, pausing between them. */
struct pattern_feeder {
    int fd;
    size_t total, chunk;
    bool close_after;
};

static inline void *pattern_feed_thread(void *arg)
{
    struct pattern_feeder *f = arg;
    char *buf = malloc(f->chunk);
    MUST(buf != NULL, "malloc");
    for (size_t done = 0; done < f->total;) {
        size_t n = f->total - done < f->chunk ? f->total - done : f->chunk;
        fill_pattern(buf, n, done);
        usleep(PAUSE_US / 4);
        write_all(f->fd, buf, n);
        done += n;
    }
    free(buf);
    if (f->close_after)
        MUST(close(f->fd) == 0, "close");
    return NULL;
}

/* Reads everything from fd until EOF with read(2), slowly (a pause every few reads), and
 * keeps it: the slow reader of a writer that must wait for room. */
struct drain {
    int fd;
    size_t pause_every; /* reads between pauses */
    char *data;
    size_t len, cap;
};

static inline void *drain_thread(void *arg)
{
    struct drain *d = arg;
    char buf[4096];
    for (size_t reads = 1;; reads++) {
        if (d->pause_every && reads % d->pause_every == 0)
            usleep(PAUSE_US / 2);
        ssize_t r = read(d->fd, buf, sizeof buf);
        MUST(r >= 0, "read");
        if (r == 0)
            break;
        if (d->len + (size_t)r > d->cap) {
            d->cap = (d->len + (size_t)r) * 2;
            d->data = realloc(d->data, d->cap);
            MUST(d->data != NULL, "realloc");
        }
        memcpy(d->data + d->len, buf, (size_t)r);
        d->len += (size_t)r;
    }
    return NULL;
}

/* A thread that only waits (in read() on a pipe) until companion_stop: while it lives, the
 * program has other threads, so stdio calls under the shim take their cooperative path
 * even where nothing makes them wait. */
struct companion {
    int fds[2];
    pthread_t thread;
};

static inline void *companion_main(void *arg)
{
    char c;
    MUST(read(*(int *)arg, &c, 1) == 0, "companion read");
    return NULL;
}

static inline void companion_start(struct companion *c)
{
    MUST(pipe(c->fds) == 0, "pipe");
    c->thread = start_thread(NULL, companion_main, &c->fds[0]);
}

static inline void companion_stop(struct companion *c)
{
    close(c->fds[1]);
    join_or_die(c->thread);
    close(c->fds[0]);
}

/* A C string literal the way the programs print received text: newlines as \n. */
static inline const char *shown(const char *s)
{
    static char buf[4][256];
    static int next;
    char *b = buf[next++ % 4], *o = b;
    for (; *s && o < b + sizeof buf[0] - 3; s++) {
        if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return b;
}

#endif
