/* A memcached client speaking the text protocol, for tests/compat/test_memcached.c.
 * Usage: memcache_client PORT THREADS KEYS
 * THREADS threads, each on a connection of its own (memcached hands connections to its worker
 * threads in turn, so several of its event loops work at once), store KEYS keys each with
 * values of many sizes (0 bytes to 100 KiB, bytes computed from the key), then read them
 * back one by one and in multi-gets of 20, check every byte, and go through the other
 * commands: add/replace/append/prepend, incr/decr, delete, a key that does not exist.
 * Prints one deterministic line per thread (after all have finished, in thread order) with
 * counts of what came back, and exits 1 on any wrong reply. Ends itself with alarm(). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_VALUE = 100 * 1024, MULTI = 20, MAX_THREADS = 64 };

static int port, keys_per_thread;

struct conn {
    int fd;
    char buf[MAX_VALUE * MULTI + 65536];
    size_t len; /* bytes in buf */
};

struct worker {
    pthread_t thread;
    int id;
    long stored, hits, misses, bytes, other_ok, errors;
    char first_error[256];
};

__attribute__((format(printf, 2, 3))) static void fail(struct worker *w, const char *fmt, ...)
{
    if (w->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->first_error, sizeof w->first_error, fmt, ap);
        va_end(ap);
    }
}

static size_t value_size(int t, int k)
{
    static const size_t sizes[] = {0, 1, 10, 100, 1000, 4096, 10000, 65536, MAX_VALUE};
    return sizes[(unsigned)(t * 7 + k) % (sizeof sizes / sizeof sizes[0])];
}

static void make_value(char *v, size_t n, int t, int k)
{
    unsigned x = (unsigned)(t * 1000003 + k * 7919 + 1);
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (char)('!' + (x >> 16) % 90);
    }
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads until buf holds at least want bytes. */
static bool fill(struct conn *c, size_t want)
{
    while (c->len < want) {
        if (want > sizeof c->buf)
            return false;
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r <= 0)
            return false;
        c->len += (size_t)r;
    }
    return true;
}

/* Takes one line (without \r\n) off the front of buf into line. */
static bool read_line(struct conn *c, char *line, size_t cap)
{
    for (;;) {
        char *nl = memmem(c->buf, c->len, "\r\n", 2);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            if (n >= cap)
                return false;
            memcpy(line, c->buf, n);
            line[n] = 0;
            c->len -= n + 2;
            memmove(c->buf, nl + 2, c->len);
            return true;
        }
        if (!fill(c, c->len + 1))
            return false;
    }
}

/* Sends a command and expects the reply lines expected (separated by \n there). */
static void simple(struct worker *w, struct conn *c, const char *cmd, const char *expected)
{
    if (!send_all(c->fd, cmd, strlen(cmd))) {
        fail(w, "%s: connection lost", cmd);
        return;
    }
    for (const char *e = expected; *e;) {
        size_t n = strcspn(e, "\n");
        char line[256];
        if (!read_line(c, line, sizeof line)) {
            fail(w, "%s: connection lost", cmd);
            return;
        }
        if (strlen(line) != n || memcmp(line, e, n) != 0) {
            fail(w, "%s: reply %s", cmd, line);
            return;
        }
        e += n + (e[n] == '\n');
    }
    w->other_ok++;
}

/* Reads the VALUE blocks of a get up to END; checks each against the value of its key.
 * Returns the number of values. */
static int read_values(struct worker *w, struct conn *c, char *expect)
{
    char line[512];
    int n = 0;
    for (;;) {
        if (!read_line(c, line, sizeof line)) {
            fail(w, "get: connection lost");
            return n;
        }
        if (strcmp(line, "END") == 0)
            return n;
        char key[256];
        unsigned flags;
        size_t size;
        int t, k;
        if (sscanf(line, "VALUE %255s %u %zu", key, &flags, &size) != 3 ||
            sscanf(key, "t%d:k%d", &t, &k) != 2) {
            fail(w, "get: unexpected line %s", line);
            return n;
        }
        if (!fill(c, size + 2)) {
            fail(w, "get %s: value cut short", key);
            return n;
        }
        make_value(expect, value_size(t, k), t, k);
        if (size != value_size(t, k) || memcmp(c->buf, expect, size) != 0 ||
            flags != (unsigned)k || memcmp(c->buf + size, "\r\n", 2) != 0)
            fail(w, "get %s: wrong value (%s)", key, line);
        else
            w->bytes += (long)size;
        c->len -= size + 2;
        memmove(c->buf, c->buf + size + 2, c->len);
        n++;
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct conn *c = malloc(sizeof *c);
    char *value = malloc(MAX_VALUE + 512), *expect = malloc(MAX_VALUE);
    char cmd[8192];
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fail(w, "connect: failed");
        close(c->fd);
        free(c);
        free(value);
        free(expect);
        return NULL;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int t = w->id;
    for (int k = 0; k < keys_per_thread; k++) {
        size_t n = value_size(t, k);
        int h = snprintf(value, 512, "set t%d:k%d %d 0 %zu\r\n", t, k, k, n);
        make_value(value + h, n, t, k);
        memcpy(value + h + n, "\r\n", 2);
        char line[256];
        if (!send_all(c->fd, value, (size_t)h + n + 2) || !read_line(c, line, sizeof line))
            fail(w, "set: connection lost");
        else if (strcmp(line, "STORED") != 0)
            fail(w, "set: reply %s", line);
        else
            w->stored++;
    }
    for (int k = 0; k < keys_per_thread; k++) {
        snprintf(cmd, sizeof cmd, "get t%d:k%d\r\n", t, k);
        send_all(c->fd, cmd, strlen(cmd));
        int got = read_values(w, c, expect);
        w->hits += got;
        w->misses += got == 0;
    }
    for (int k = 0; k < keys_per_thread; k += MULTI) {
        int len = snprintf(cmd, sizeof cmd, "get");
        for (int j = k; j < k + MULTI && j < keys_per_thread; j++)
            len += snprintf(cmd + len, sizeof cmd - (size_t)len, " t%d:k%d", t, j);
        snprintf(cmd + len, sizeof cmd - (size_t)len, "\r\n");
        send_all(c->fd, cmd, strlen(cmd));
        w->hits += read_values(w, c, expect);
    }
    snprintf(cmd, sizeof cmd, "get t%d:missing\r\n", t);
    send_all(c->fd, cmd, strlen(cmd));
    w->misses += read_values(w, c, expect) == 0;

    char exp[64];
#define SIMPLE(expected, ...)                                                                 \
    (snprintf(cmd, sizeof cmd, __VA_ARGS__), simple(w, c, cmd, expected))
    SIMPLE("NOT_STORED", "add t%d:k0 0 0 1\r\nx\r\n", t);
    SIMPLE("STORED", "add t%d:n 0 0 2\r\n10\r\n", t);
    SIMPLE("15", "incr t%d:n 5\r\n", t);
    SIMPLE("12", "decr t%d:n 3\r\n", t);
    SIMPLE("0", "decr t%d:n 100\r\n", t);
    snprintf(exp, sizeof exp, "%d", 1000 + t);
    SIMPLE(exp, "incr t%d:n %d\r\n", t, 1000 + t);
    SIMPLE("NOT_FOUND", "incr t%d:none 1\r\n", t);
    SIMPLE("STORED", "replace t%d:n 0 0 3\r\nabc\r\n", t);
    SIMPLE("STORED", "append t%d:n 0 0 3\r\ndef\r\n", t);
    SIMPLE("STORED", "prepend t%d:n 0 0 3\r\n123\r\n", t);
    SIMPLE("NOT_STORED", "replace t%d:none 0 0 1\r\nx\r\n", t);
    snprintf(exp, sizeof exp, "VALUE t%d:n 0 9\n123abcdef\nEND", t);
    SIMPLE(exp, "get t%d:n\r\n", t);
    SIMPLE("DELETED", "delete t%d:n\r\n", t);
    SIMPLE("NOT_FOUND", "delete t%d:n\r\n", t);
    SIMPLE("END", "get t%d:n\r\n", t);
#undef SIMPLE
    close(c->fd);
    free(c);
    free(value);
    free(expect);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: memcache_client PORT THREADS KEYS\n");
        return 2;
    }
    alarm(60);
    port = atoi(argv[1]);
    int threads = atoi(argv[2]);
    keys_per_thread = atoi(argv[3]);
    if (threads < 1 || threads > MAX_THREADS || keys_per_thread < 1)
        return 2;
    static struct worker w[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        w[i].id = i;
        pthread_create(&w[i].thread, NULL, work, &w[i]);
    }
    int status = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        printf("thread %d: stored %ld, hits %ld, misses %ld, value bytes %ld, other replies "
               "right %ld, errors %ld\n",
               i, w[i].stored, w[i].hits, w[i].misses, w[i].bytes, w[i].other_ok, w[i].errors);
        if (w[i].errors) {
            fprintf(stderr, "thread %d: %s\n", i, w[i].first_error);
            status = 1;
        }
    }
    return status;
}
