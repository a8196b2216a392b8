/* net.h: the plain socket code the examples share: giving up with a message, a listening
 * socket on 127.0.0.1, a connection to it, writing a whole buffer and reading a whole
 * message. Nothing here knows about green threads: in a program linked with -lgreenpatch
 * (or running under the preload), these blocking calls let the other green threads run
 * while they wait. Header-only, so that each example stays one program. */
#ifndef EXAMPLES_NET_H
#define EXAMPLES_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
    exit(1);
}

/* die() for the calls that return their error number instead of setting errno (the
 * pthread functions, greenpatch.h's). */
static inline void die_with(const char *what, int err)
{
    errno = err;
    die(what);
}

/* Listens on 127.0.0.1:port (0: a port the kernel picks) and stores the port it got in
 * *bound (if not NULL). */
static inline int listen_on_port(unsigned port, unsigned *bound)
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
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("bind");
    /* A large backlog: clients may connect in bursts faster than one accept loop takes
     * them, and the kernel caps it at net.core.somaxconn anyway. */
    if (listen(fd, SOMAXCONN) != 0)
        die("listen");
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        die("getsockname");
    if (bound)
        *bound = ntohs(addr.sin_port);
    return fd;
}

/* A connection to 127.0.0.1:port, or -1 with errno set. */
static inline int connect_to_port(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Writes all of buf (a blocking write may write less than asked); false on an error. */
static inline bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads into buf (size bytes, NUL-terminated) until what has come ends with end (NULL:
 * until the peer closes), the peer closes, or buf is full. Returns the length read, or -1
 * with errno set. */
static inline ssize_t read_message(int fd, char *buf, size_t size, const char *end)
{
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        if (end && len >= strlen(end) && strcmp(buf + len - strlen(end), end) == 0)
            break;
    }
    buf[len] = 0;
    return (ssize_t)len;
}

#endif
