/* ws_echo_server: a WebSocket (RFC 6455) echo server written the plain thread-per-connection
 * way: an accept loop, one detached pthread per connection, blocking read()/write(), no
 * poll, no O_NONBLOCK. Natively each open WebSocket costs an OS thread; under
 * LD_PRELOAD=libgreenpatch.so the same binary holds thousands of them on one OS thread
 * (tests/compat/test_websocket.c drives it with examples/ws_echo_client.c).
 *
 * What it speaks (RFC 6455):
 *   - the opening handshake: a GET with Upgrade: websocket, Connection: Upgrade,
 *     Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key is answered with 101 and
 *     Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (SHA-1 and base64 from libcrypto);
 *     anything else gets 400 and the connection is closed;
 *   - frames: client frames must be masked (section 5.1), payload lengths in 7, 16 or 64
 *     bits, text and binary messages (fragmented ones are reassembled; text must be UTF-8)
 *     echoed as one unmasked frame each, a ping answered by a pong with its payload, pongs
 *     ignored, and the close handshake: a close frame is answered by a close frame with the
 *     same status code, then the server closes the TCP connection;
 *   - protocol errors end the connection with a close frame carrying 1002 (protocol error),
 *     1007 (invalid UTF-8) or 1009 (message larger than MAX_MESSAGE).
 *
 * Usage: ws_echo_server [PORT [CONNECTIONS]]
 *   PORT         TCP port on 127.0.0.1; 0 (the default) lets the kernel pick one.
 *   CONNECTIONS  when given and > 0: accept that many connections, wait until every one of
 *                them has ended, print what was echoed and exit 0 (so that tests end).
 * Standard output: "listening on PORT" once listening; with CONNECTIONS, at the end:
 *   "served C connections: M messages (B bytes), P pings, K closes, E errors" */
#include "daemon.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <strings.h>

/* Appended to the client's key before hashing (RFC 6455, section 1.3). */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum {
    OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2,
    OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA,
};
enum { CLOSE_PROTOCOL_ERROR = 1002, CLOSE_INVALID_DATA = 1007, CLOSE_TOO_BIG = 1009 };
/* The largest reassembled message accepted: a bound on what one client can make us hold. */
enum { MAX_MESSAGE = 16 << 20 };
/* Control frames carry at most 125 bytes (section 5.5). */
enum { MAX_CONTROL = 125 };
/* The longest frame header the server writes: 2 bytes and a 64-bit length. */
enum { MAX_HEADER = 10 };

/* What every connection thread adds to, printed at the end; guarded by stats_lock. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned long messages, pings, closes, errors;
    unsigned long long bytes;
} stats;

/* ---- buffered blocking input ---- */

/* The handshake is read through the same buffer as the frames, so that a frame sent right
 * behind the request is not lost. */
struct reader {
    int fd;
    size_t start, end;
    unsigned char buf[4096];
};

/* Reads more into r->buf, keeping its last byte free for a terminator (the handshake reads
 * the request as a string). Returns false at end of file or on error. */
static bool fill(struct reader *r)
{
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, sizeof r->buf - 1 - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != ECONNRESET)
            perror("ws_echo_server: read");
        if (n <= 0)
            return false;
        r->end += (size_t)n;
        return true;
    }
}

/* Reads exactly len bytes: from the buffer first, then large reads straight into dst. */
static bool read_exact(struct reader *r, unsigned char *dst, size_t len)
{
    size_t have = r->end - r->start < len ? r->end - r->start : len;
    memcpy(dst, r->buf + r->start, have);
    r->start += have;
    if (r->start == r->end)
        r->start = r->end = 0;
    while (have < len) {
        ssize_t n = read(r->fd, dst + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    return true;
}

/* ---- the opening handshake (section 4.2) ---- */

/* The value of header NAME in the request's header lines (NUL-terminated, CRLF-separated),
 * copied to out without surrounding blanks; false when absent or too long. */
static bool header_value(const char *headers, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    for (const char *line = strstr(headers, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, name_len) != 0 || line[name_len] != ':')
            continue;
        const char *v = line + name_len + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *end = strstr(v, "\r\n");
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - v) >= cap)
            return false;
        memcpy(out, v, (size_t)(end - v));
        out[end - v] = '\0';
        return true;
    }
    return false;
}

/* Whether the comma-separated header value list has token (case-insensitive). */
static bool has_token(const char *list, const char *token)
{
    size_t len = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncasecmp(p, token, len) == 0 && (p[len] == '\0' || p[len] == ',' || p[len] == ' '))
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)), 28 characters. */
static bool accept_value(const char *key, char out[29])
{
    char joined[128];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len;
    int len = snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
    if (len < 0 || (size_t)len >= sizeof joined ||
        !EVP_Digest(joined, (size_t)len, digest, &digest_len, EVP_sha1(), NULL))
        return false;
    return EVP_EncodeBlock((unsigned char *)out, digest, (int)digest_len) == 28;
}

/* Reads the request and answers it. Returns true when the connection is a WebSocket now. */
static bool handshake(struct reader *r)
{
    char *end;
    for (;;) {
        r->buf[r->end] = '\0';
        end = strstr((char *)r->buf, "\r\n\r\n");
        if (end)
            break;
        /* A request that fills the buffer is no handshake of ours. */
        if (r->end + 1 >= sizeof r->buf || !fill(r))
            return false;
    }
    end[2] = '\0'; /* the header lines, each ending in CRLF */
    r->start = (size_t)(end + 4 - (char *)r->buf);

    const char *request = (const char *)r->buf;
    char upgrade[64], connection[128], version[16], key[64], accept[29];
    bool ok = strncmp(request, "GET ", 4) == 0 &&
              header_value(request, "Upgrade", upgrade, sizeof upgrade) &&
              has_token(upgrade, "websocket") &&
              header_value(request, "Connection", connection, sizeof connection) &&
              has_token(connection, "Upgrade") &&
              header_value(request, "Sec-WebSocket-Version", version, sizeof version) &&
              strcmp(version, "13") == 0 &&
              header_value(request, "Sec-WebSocket-Key", key, sizeof key) &&
              strlen(key) == 24 && accept_value(key, accept);
    char response[256];
    int len = ok ? snprintf(response, sizeof response,
                            "HTTP/1.1 101 Switching Protocols\r\n"
                            "Upgrade: websocket\r\n"
                            "Connection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: %s\r\n\r\n", accept)
                 : snprintf(response, sizeof response,
                            "HTTP/1.1 400 Bad Request\r\n"
                            "Sec-WebSocket-Version: 13\r\n"
                            "Content-Length: 0\r\n"
                            "Connection: close\r\n\r\n");
    if (r->start == r->end)
        r->start = r->end = 0;
    return write_all(r->fd, response, (size_t)len) && ok;
}

/* ---- frames (section 5) ---- */

/* Writes a frame header for a payload of len bytes into the MAX_HEADER bytes that end at
 * at; returns where it starts, so that header and payload go out in one write. */
static unsigned char *put_header(unsigned char *at, unsigned opcode, uint64_t len)
{
    if (len < 126) {
        at -= 2;
        at[1] = (unsigned char)len;
    } else if (len <= 0xFFFF) {
        at -= 4;
        at[1] = 126;
        at[2] = (unsigned char)(len >> 8);
        at[3] = (unsigned char)len;
    } else {
        at -= 10;
        at[1] = 127;
        for (int i = 0; i < 8; i++)
            at[2 + i] = (unsigned char)(len >> (56 - 8 * i));
    }
    at[0] = (unsigned char)(0x80 | opcode); /* FIN: the server never fragments */
    return at;
}

/* Sends a control frame (payload at most MAX_CONTROL bytes). */
static bool send_control(int fd, unsigned opcode, const unsigned char *payload, size_t len)
{
    unsigned char frame[MAX_HEADER + MAX_CONTROL];
    memcpy(frame + MAX_HEADER, payload, len);
    unsigned char *start = put_header(frame + MAX_HEADER, opcode, len);
    return write_all(fd, start, (size_t)(frame + MAX_HEADER + len - start));
}

/* Ends the connection because of a protocol error: a close frame with the code. */
static void send_close_code(int fd, unsigned code)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    send_control(fd, OP_CLOSE, payload, sizeof payload);
    pthread_mutex_lock(&stats_lock);
    stats.errors++;
    pthread_mutex_unlock(&stats_lock);
}

/* Strict UTF-8 (section 8.1): no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        size_t extra;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (n - i - 1 < extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = c << 6 | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

struct frame_header {
    bool fin;
    unsigned opcode;
    uint64_t len;
    unsigned char mask[4];
};

/* Reads a frame header. Returns 0, a close code for a frame that breaks the protocol, or
 * -1 when the connection ended. */
static int read_header(struct reader *r, struct frame_header *h)
{
    unsigned char first[2], b[8];
    if (!read_exact(r, first, 2))
        return -1;
    h->fin = first[0] & 0x80;
    h->opcode = first[0] & 0x0F;
    bool masked = first[1] & 0x80;
    h->len = first[1] & 0x7F;
    if (h->len == 126) {
        if (!read_exact(r, b, 2))
            return -1;
        h->len = (uint64_t)b[0] << 8 | b[1];
    } else if (h->len == 127) {
        if (!read_exact(r, b, 8))
            return -1;
        h->len = 0;
        for (int i = 0; i < 8; i++)
            h->len = h->len << 8 | b[i];
        if (h->len >> 63)
            return CLOSE_PROTOCOL_ERROR; /* the most significant bit must be 0 */
    }
    if (masked && !read_exact(r, h->mask, 4))
        return -1;
    bool control = h->opcode & 0x8;
    bool known = h->opcode <= OP_BINARY || (h->opcode >= OP_CLOSE && h->opcode <= OP_PONG);
    /* No extension is negotiated, so the RSV bits must be 0; a client must mask (5.1);
     * control frames are short and never fragmented (5.5). */
    if ((first[0] & 0x70) || !masked || !known || (control && (!h->fin || h->len > MAX_CONTROL)))
        return CLOSE_PROTOCOL_ERROR;
    return 0;
}

/* Reads a frame's payload into dst and unmasks it. */
static bool read_payload(struct reader *r, const struct frame_header *h, unsigned char *dst)
{
    if (!read_exact(r, dst, h->len))
        return false;
    for (uint64_t i = 0; i < h->len; i++)
        dst[i] ^= h->mask[i & 3];
    return true;
}

/* Answers a control frame. Returns false when the connection is to end (a close). */
static bool control_frame(struct reader *r, const struct frame_header *h)
{
    unsigned char payload[MAX_CONTROL];
    if (!read_payload(r, h, payload))
        return false;
    if (h->opcode == OP_PING) {
        pthread_mutex_lock(&stats_lock);
        stats.pings++;
        pthread_mutex_unlock(&stats_lock);
        return send_control(r->fd, OP_PONG, payload, h->len);
    }
    if (h->opcode == OP_PONG)
        return true; /* an unsolicited pong is a heartbeat: nothing to answer */
    /* A close: its body is empty or a 2-byte status code and a UTF-8 reason (5.5.1). */
    if (h->len == 1 || !valid_utf8(payload + 2 * (h->len >= 2), h->len - 2 * (h->len >= 2))) {
        send_close_code(r->fd, h->len == 1 ? CLOSE_PROTOCOL_ERROR : CLOSE_INVALID_DATA);
        return false;
    }
    pthread_mutex_lock(&stats_lock);
    stats.closes++;
    pthread_mutex_unlock(&stats_lock);
    send_control(r->fd, OP_CLOSE, payload, h->len >= 2 ? 2 : 0); /* echo the status code */
    return false;
}

/* The message being reassembled: MAX_HEADER bytes of room for the echo's header, then the
 * payload. */
struct message {
    unsigned opcode; /* OP_TEXT or OP_BINARY; 0 when no message is in progress */
    size_t len, cap;
    unsigned char *data;
};

/* Adds a data frame to the message, and echoes the message when it is complete. Returns 0
 * to go on, a close code, or -1 when the connection ended. */
static int data_frame(struct reader *r, const struct frame_header *h, struct message *m)
{
    /* A continuation needs a message in progress, a new message needs none (5.4). */
    if ((h->opcode == OP_CONTINUATION) != (m->opcode != 0))
        return CLOSE_PROTOCOL_ERROR;
    if (h->len > MAX_MESSAGE - m->len)
        return CLOSE_TOO_BIG;
    if (m->opcode == 0)
        m->opcode = h->opcode;
    size_t need = MAX_HEADER + m->len + h->len;
    if (need > m->cap) {
        unsigned char *grown = realloc(m->data, need);
        if (!grown)
            return CLOSE_TOO_BIG;
        m->data = grown;
        m->cap = need;
    }
    if (!read_payload(r, h, m->data + MAX_HEADER + m->len))
        return -1;
    m->len += h->len;
    if (!h->fin)
        return 0;
    if (m->opcode == OP_TEXT && !valid_utf8(m->data + MAX_HEADER, m->len))
        return CLOSE_INVALID_DATA;
    unsigned char *start = put_header(m->data + MAX_HEADER, m->opcode, m->len);
    if (!write_all(r->fd, start, (size_t)(m->data + MAX_HEADER + m->len - start)))
        return -1;
    pthread_mutex_lock(&stats_lock);
    stats.messages++;
    stats.bytes += m->len;
    pthread_mutex_unlock(&stats_lock);
    m->opcode = 0;
    m->len = 0;
    return 0;
}

/* The whole life of one connection: handshake, then frames until a close or an error. */
static void *serve_connection(void *fd)
{
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        die("calloc");
    r->fd = (int)(intptr_t)fd;
    struct message m = {0};
    if (handshake(r)) {
        for (;;) {
            struct frame_header h;
            int code = read_header(r, &h);
            if (code == 0 && (h.opcode & 0x8)) {
                if (control_frame(r, &h))
                    continue;
                break;
            }
            if (code == 0)
                code = data_frame(r, &h, &m);
            if (code > 0)
                send_close_code(r->fd, (unsigned)code);
            if (code != 0)
                break;
        }
    }
    free(m.data);
    close(r->fd);
    free(r);
    connection_finished();
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long served = serve_connections(argc, argv, serve_connection);
    pthread_mutex_lock(&stats_lock);
    printf("served %lu connections: %lu messages (%llu bytes), %lu pings, %lu closes, "
           "%lu errors\n", served, stats.messages, stats.bytes, stats.pings,
           stats.closes, stats.errors);
    pthread_mutex_unlock(&stats_lock);
    return 0;
}
