/* ws_echo_client: load generator and checker for examples/ws_echo_server.c (RFC 6455).
 *
 * One process, one thread, one epoll set, nonblocking sockets: its own cost stays small and
 * the same whether the server runs natively or under LD_PRELOAD=libgreenpatch.so.
 *
 * Every connection goes through the same script of steps; each step sends some bytes and
 * knows exactly which bytes must come back, and every byte received is compared:
 *   0. the opening handshake (a fresh Sec-WebSocket-Key; the 101 response with its
 *      Sec-WebSocket-Accept, computed here with libcrypto's SHA-1, must match byte for byte);
 *   1. a short text message. Then the connection waits until every connection has got this
 *      far: at that moment the server holds all N WebSockets, and the client counts the
 *      server's OS threads (--server-pid, /proc/PID/task);
 *   2. an empty binary message, a ping answered by a pong, a 125-byte text (the longest
 *      7-bit length, with multi-byte UTF-8), a 126-byte binary (the shortest 16-bit length),
 *      a 4,000-byte binary, a text message in three fragments with a ping between them (the
 *      pong comes first, then the message as one frame), and on every BIG_EVERY-th
 *      connection a 65,535-byte (the longest 16-bit) and a 70,000-byte (64-bit) binary;
 *   3. the close handshake: a close frame with 1000 and a reason; the server's close frame
 *      with 1000 must come back, then the end of the stream, and only then the client closes.
 * Client frames are masked with a fresh key each (section 5.3); the server's come back
 * unmasked, one frame per message. Payload byte K of frame F on connection I is a hash of
 * (I, F, K), so a byte on the wrong connection, frame or offset is caught.
 *
 * Usage: ws_echo_client --port P [--conns N] [--server-pid PID] [--deadline-s SECONDS]
 * Prints two lines on stdout: what was checked (the same for every correct server),
 *   conns=N frames_sent=F frames_checked=C payload_bytes=B ok=1
 * and what was measured:
 *   peak_conns=N server_threads=T elapsed_ms=E
 * (server_threads is -1 without --server-pid). On any error or mismatch, or when the
 * deadline passes, the reason goes to stderr and the exit status is 1. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum {
    OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2,
    OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA,
};
/* Connections between connect() and the end of step 1: they may still sit in the server's
 * accept queue, which holds up to net.core.somaxconn (4096 by default); more would
 * overflow it, and the kernel retries a dropped SYN only after a second. */
enum { MAX_UNCONFIRMED = 512 };
/* Connections that send the two large messages: sparse, so that the server never holds
 * thousands of large messages at once. */
enum { BIG_EVERY = 100 };
enum { STEP_HANDSHAKE, STEP_FIRST, STEP_FRAMES, STEP_CLOSE, STEP_COUNT };

/* Bytes to send or expected. */
struct bytes {
    unsigned char *data;
    size_t len, cap;
};

enum conn_state {
    CONN_CONNECTING, /* nonblocking connect() in progress */
    CONN_RUNNING,    /* sending and checking the current step */
    CONN_AT_BARRIER, /* step 1 checked; waiting for every other connection */
    CONN_CLOSING,    /* close handshake checked; waiting for the server to end the stream */
    CONN_CLOSED,
};

struct conn {
    int fd;
    unsigned long index; /* part of every payload byte and mask key */
    enum conn_state state;
    unsigned step;
    uint32_t rng;        /* mask keys and the handshake key */
    struct bytes out;    /* what this step sends, out.len - sent still to go */
    size_t sent;
    struct bytes expect; /* what this step must receive, expect.len - received still to come */
    size_t received;
};

struct client {
    unsigned port;
    unsigned long conns;
    long server_pid; /* -1: do not count the server's threads */
    long deadline_s;
    struct conn *conn;
    int epoll_fd;
    unsigned long opened, unconfirmed, at_barrier, closed, peak_open;
    unsigned long frames_sent, frames_checked;
    unsigned long long payload_bytes;
    long server_threads;
};

static void fail(const struct conn *c, const char *fmt, const char *detail)
{
    fprintf(stderr, "ws_echo_client: connection %lu, step %u: ", c ? c->index : 0,
            c ? c->step : 0);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    exit(1);
}

static void *checked_realloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p)
        fail(NULL, "out of memory%s", "");
    return p;
}

static void put(struct bytes *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2;
        b->data = checked_realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static uint32_t next_random(struct conn *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 17;
    c->rng ^= c->rng << 5;
    return c->rng;
}

/* Payload byte k of frame f on connection i: binary payloads take it as it is, text
 * payloads a letter chosen by it. */
static unsigned char pattern_byte(unsigned long i, unsigned f, size_t k)
{
    uint32_t x = (uint32_t)i * 0x9E3779B1u ^ f * 0x85EBCA77u ^ (uint32_t)k * 0xC2B2AE3Du;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 13;
    return (unsigned char)x;
}

/* The payload of the client's frame number f: text is ASCII letters with a 3-byte
 * character (U+20AC, the euro sign) at the start when there is room. */
static unsigned char *payload(const struct conn *c, unsigned f, unsigned opcode, size_t len)
{
    unsigned char *p = checked_realloc(NULL, len ? len : 1);
    for (size_t k = 0; k < len; k++) {
        unsigned char b = pattern_byte(c->index, f, k);
        p[k] = opcode == OP_BINARY ? b : (unsigned char)('a' + b % 26);
    }
    if (opcode != OP_BINARY && len >= 3)
        memcpy(p, "\xE2\x82\xAC", 3);
    return p;
}

/* A frame header: FIN, opcode, the shortest length encoding (section 5.2), and the mask
 * bit and key when mask is set. */
static void put_header(struct bytes *b, bool fin, unsigned opcode, size_t len,
                       const unsigned char *mask)
{
    unsigned char h[14];
    size_t n = 2;
    h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        h[1] = (unsigned char)len;
    } else if (len <= 0xFFFF) {
        h[1] = 126;
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[n++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    }
    if (mask) {
        h[1] |= 0x80;
        memcpy(h + n, mask, 4);
        n += 4;
    }
    put(b, h, n);
}

/* Adds a masked client frame to out. */
static void send_frame(struct client *cl, struct conn *c, bool fin, unsigned opcode,
                       const unsigned char *data, size_t len)
{
    uint32_t key = next_random(c);
    unsigned char mask[4];
    memcpy(mask, &key, 4);
    put_header(&c->out, fin, opcode, len, mask);
    size_t at = c->out.len;
    put(&c->out, data, len);
    for (size_t k = 0; k < len; k++)
        c->out.data[at + k] ^= mask[k & 3];
    cl->frames_sent++;
}

/* Adds the unmasked frame the server must send back to expect. */
static void expect_frame(struct client *cl, struct conn *c, unsigned opcode,
                         const unsigned char *data, size_t len)
{
    put_header(&c->expect, true, opcode, len, NULL);
    put(&c->expect, data, len);
    cl->frames_checked++;
    cl->payload_bytes += len;
}

/* A whole message in one frame, and its echo. */
static void echoed(struct client *cl, struct conn *c, unsigned *f, unsigned opcode, size_t len)
{
    unsigned char *p = payload(c, (*f)++, opcode, len);
    send_frame(cl, c, true, opcode, p, len);
    expect_frame(cl, c, opcode == OP_PING ? OP_PONG : opcode, p, len);
    free(p);
}

/* base64 of 16 random bytes; the server must answer with base64(SHA-1(key + GUID)). */
static void handshake(struct conn *c, unsigned port)
{
    unsigned char raw[16], key[25], digest[EVP_MAX_MD_SIZE], accept[29];
    char joined[64], text[512];
    unsigned digest_len;
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = next_random(c);
        memcpy(raw + i, &r, 4);
    }
    EVP_EncodeBlock(key, raw, sizeof raw);
    int len = snprintf(joined, sizeof joined, "%s%s", (char *)key, WS_GUID);
    if (!EVP_Digest(joined, (size_t)len, digest, &digest_len, EVP_sha1(), NULL))
        fail(c, "SHA-1 failed%s", "");
    EVP_EncodeBlock(accept, digest, (int)digest_len);
    len = snprintf(text, sizeof text,
                   "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n", port, (char *)key);
    put(&c->out, text, (size_t)len);
    len = snprintf(text, sizeof text,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", (char *)accept);
    put(&c->expect, text, (size_t)len);
}

/* Fills out and expect for the connection's current step. */
static void build_step(struct client *cl, struct conn *c)
{
    c->out.len = c->sent = c->expect.len = c->received = 0;
    unsigned f = c->step * 100; /* frame numbers, distinct across steps */
    switch (c->step) {
    case STEP_HANDSHAKE:
        handshake(c, cl->port);
        break;
    case STEP_FIRST:
        echoed(cl, c, &f, OP_TEXT, 24);
        break;
    case STEP_FRAMES: {
        echoed(cl, c, &f, OP_BINARY, 0);
        echoed(cl, c, &f, OP_PING, 16);
        echoed(cl, c, &f, OP_TEXT, 125);
        echoed(cl, c, &f, OP_BINARY, 126);
        echoed(cl, c, &f, OP_BINARY, 4000);
        /* A fragmented text message with a ping between its fragments (section 5.4):
         * the pong comes back at once, the message as one frame when it is complete. */
        unsigned char *p = payload(c, f++, OP_TEXT, 315);
        send_frame(cl, c, false, OP_TEXT, p, 10);
        echoed(cl, c, &f, OP_PING, 5);
        send_frame(cl, c, false, OP_CONTINUATION, p + 10, 300);
        send_frame(cl, c, true, OP_CONTINUATION, p + 310, 5);
        expect_frame(cl, c, OP_TEXT, p, 315);
        free(p);
        if (c->index % BIG_EVERY == 0) {
            echoed(cl, c, &f, OP_BINARY, 65535);
            echoed(cl, c, &f, OP_BINARY, 70000);
        }
        break;
    }
    case STEP_CLOSE: {
        static const unsigned char bye[] = "\x03\xE8" "bye"; /* 1000: normal closure */
        send_frame(cl, c, true, OP_CLOSE, bye, 5);
        expect_frame(cl, c, OP_CLOSE, bye, 2); /* the server echoes the code alone */
        break;
    }
    }
}

static long count_tasks(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *dir = opendir(path);
    long n = 0;
    for (struct dirent *e; dir && (e = readdir(dir));)
        n += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return dir ? n : -1;
}

/* ---- the event loop ---- */

static void open_next(struct client *cl)
{
    struct conn *c = &cl->conn[cl->opened];
    c->index = cl->opened++;
    c->rng = (uint32_t)(c->index * 2654435761u) | 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        fail(c, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cl->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
        fail(c, "connect: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    if (epoll_ctl(cl->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        fail(c, "epoll_ctl: %s", strerror(errno));
    c->state = CONN_CONNECTING;
    cl->unconfirmed++;
    if (cl->opened - cl->closed > cl->peak_open)
        cl->peak_open = cl->opened - cl->closed;
}

/* Sends and receives what the current step still needs. Returns true when it is done. */
static bool transfer(struct conn *c)
{
    static unsigned char in[1 << 16];
    while (c->sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0)
            fail(c, "send: %s", strerror(errno));
        c->sent += (size_t)n;
    }
    while (c->received < c->expect.len) {
        size_t want = c->expect.len - c->received;
        ssize_t n = recv(c->fd, in, want < sizeof in ? want : sizeof in, 0);
        if (n < 0 && errno == EAGAIN)
            return false;
        if (n <= 0)
            fail(c, "recv: %s", n == 0 ? "end of stream before the echo" : strerror(errno));
        for (ssize_t k = 0; k < n; k++)
            if (in[k] != c->expect.data[c->received + (size_t)k]) {
                char where[96];
                snprintf(where, sizeof where, "byte %zu is 0x%02x, expected 0x%02x",
                         c->received + (size_t)k, in[k], c->expect.data[c->received + (size_t)k]);
                fail(c, "wrong echo: %s", where);
            }
        c->received += (size_t)n;
    }
    return c->sent == c->out.len;
}

/* Moves a connection on as far as it can go without waiting. */
static void progress(struct client *cl, struct conn *c)
{
    if (c->state == CONN_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == EINPROGRESS || err == EALREADY)
            return;
        if (err != 0)
            fail(c, "connect: %s", strerror(err));
        c->state = CONN_RUNNING;
        build_step(cl, c);
    }
    while (c->state == CONN_RUNNING && transfer(c)) {
        if (++c->step == STEP_FRAMES) {
            c->state = CONN_AT_BARRIER;
            cl->at_barrier++;
            cl->unconfirmed--;
        } else if (c->step == STEP_COUNT) {
            c->state = CONN_CLOSING;
        } else {
            build_step(cl, c);
        }
    }
    if (c->state == CONN_CLOSING) {
        unsigned char extra;
        ssize_t n = recv(c->fd, &extra, 1, 0);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n != 0)
            fail(c, "after the close handshake: %s", n > 0 ? "more data" : strerror(errno));
        close(c->fd); /* the server ended the TCP connection first (section 7.1.1) */
        c->state = CONN_CLOSED;
        cl->closed++;
        free(c->out.data);
        free(c->expect.data);
    }
}

/* Every connection has done step 1: the server holds them all now. */
static void release_barrier(struct client *cl)
{
    if (cl->server_pid > 0)
        cl->server_threads = count_tasks(cl->server_pid);
    for (unsigned long i = 0; i < cl->conns; i++) {
        cl->conn[i].state = CONN_RUNNING;
        build_step(cl, &cl->conn[i]);
        progress(cl, &cl->conn[i]);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void run(struct client *cl)
{
    double start = now_ms();
    bool released = false;
    while (cl->closed < cl->conns) {
        while (cl->opened < cl->conns && cl->unconfirmed < MAX_UNCONFIRMED)
            open_next(cl);
        if (!released && cl->at_barrier == cl->conns) {
            released = true;
            release_barrier(cl);
            continue;
        }
        if (now_ms() - start > cl->deadline_s * 1e3) {
            char counts[128];
            snprintf(counts, sizeof counts, "%lu opened, %lu at the barrier, %lu closed",
                     cl->opened, cl->at_barrier, cl->closed);
            fail(NULL, "deadline passed: %s", counts);
        }
        struct epoll_event events[256];
        int n = epoll_wait(cl->epoll_fd, events, 256, 1000);
        if (n < 0 && errno != EINTR)
            fail(NULL, "epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++)
            progress(cl, events[i].data.ptr);
    }
    printf("conns=%lu frames_sent=%lu frames_checked=%lu payload_bytes=%llu ok=1\n",
           cl->conns, cl->frames_sent, cl->frames_checked, cl->payload_bytes);
    printf("peak_conns=%lu server_threads=%ld elapsed_ms=%.0f\n", cl->peak_open,
           cl->server_threads, now_ms() - start);
}

static long number(const char *name, const char *text, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v <= 0 || v > max) {
        fprintf(stderr, "ws_echo_client: --%s needs a number from 1 to %ld: '%s'\n", name,
                max, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    struct client cl = {.conns = 100, .server_pid = -1, .deadline_s = 120, .server_threads = -1};
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'n'},
        {"server-pid", required_argument, NULL, 'P'},
        {"deadline-s", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    for (int ch; (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (ch == 'p')
            cl.port = (unsigned)number("port", optarg, 65535);
        else if (ch == 'n')
            cl.conns = (unsigned long)number("conns", optarg, 1000000);
        else if (ch == 'P')
            cl.server_pid = number("server-pid", optarg, 1 << 30);
        else if (ch == 'd')
            cl.deadline_s = number("deadline-s", optarg, 86400);
        else
            exit(2);
    }
    if (optind != argc || cl.port == 0) {
        fprintf(stderr, "usage: ws_echo_client --port P [--conns N] [--server-pid PID] "
                        "[--deadline-s SECONDS]\n");
        exit(2);
    }
    /* One descriptor per connection, and a few for stdio and /proc. */
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < cl.conns + 16) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    cl.conn = calloc(cl.conns, sizeof *cl.conn);
    cl.epoll_fd = epoll_create1(0);
    if (!cl.conn || cl.epoll_fd < 0)
        fail(NULL, "setting up: %s", strerror(errno));
    run(&cl);
    return 0;
}
