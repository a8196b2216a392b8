/* What the two HTTP servers of scripts/bench-http share: the one response, the request
 * parser and the counters they leave in a file when they are told to stop.
 *
 * A request is everything up to its "\r\n\r\n" (wrk sends GETs without a body); several
 * may arrive in one read (pipelining) and one may arrive over several reads. Every request
 * gets the same keep-alive response. */
#ifndef HTTP_COMMON_H
#define HTTP_COMMON_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Buffers of a connection: a request larger than HTTP_IN ends the connection. */
enum { HTTP_IN = 4096, HTTP_OUT = 4096 };

static const char http_response[] = "HTTP/1.1 200 OK\r\n"
                                    "Content-Type: text/plain\r\n"
                                    "Content-Length: 13\r\n"
                                    "\r\n"
                                    "hello, world\n";
#define HTTP_RESPONSE_LEN (sizeof http_response - 1)

/* Answers the complete requests at the front of in (*have bytes) with as many responses as
 * fit in out (HTTP_OUT bytes), and moves what is left of in to its front. Returns the
 * bytes put in out; 0 when no complete request is there. */
static size_t http_answer(char *in, size_t *have, char *out)
{
    size_t used = 0, made = 0;
    while (made + HTTP_RESPONSE_LEN <= HTTP_OUT) {
        char *end = memmem(in + used, *have - used, "\r\n\r\n", 4);
        if (!end)
            break;
        used = (size_t)(end + 4 - in);
        memcpy(out + made, http_response, HTTP_RESPONSE_LEN);
        made += HTTP_RESPONSE_LEN;
    }
    if (used) {
        memmove(in, in + used, *have - used);
        *have -= used;
    }
    return made;
}

/* The listening socket on 127.0.0.1:port, or exit. */
static int http_listen(const char *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 65535) < 0) {
        perror("http server: listen");
        exit(1);
    }
    return fd;
}

/* Where the server writes its counts when it ends (its optional second argument). */
static const char *http_counts_path;

/* The start of a server's main, from its arguments "PORT [COUNTS]": SIGPIPE ignored (a
 * client that goes away fails that connection's write, not the server). Returns the
 * listening socket, or exits. */
static int http_start(int argc, char **argv, const char *name)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [COUNTS]\n", name);
        exit(2);
    }
    http_counts_path = argc > 2 ? argv[2] : NULL;
    signal(SIGPIPE, SIG_IGN);
    return http_listen(argv[1]);
}

/* Writes "accepted served\n" to the counts file, if one was given: connections accepted,
 * and those that got at least one response. Async-signal-safe (the servers call it from
 * their SIGTERM handler). */
static void http_write_counts(long accepted, long served)
{
    if (!http_counts_path)
        return;
    char text[48];
    size_t n = sizeof text;
    text[--n] = '\n';
    long v[2] = {served, accepted};
    for (int i = 0; i < 2; i++) {
        if (i)
            text[--n] = ' ';
        do
            text[--n] = (char)('0' + v[i] % 10);
        while ((v[i] /= 10) > 0);
    }
    int fd = open(http_counts_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text + n, sizeof text - n) < 0)
            _exit(1);
        close(fd);
    }
}

#endif
