/* echo_client: load generator and checker for examples/echo_server.c.
 *
 * It holds N connections open at the same time and checks every byte the server echoes.
 * It never needs the shim and does not use a thread per connection: one thread, one epoll
 * set, nonblocking sockets, so that its own cost stays small and the same whether the
 * server runs natively or under LD_PRELOAD=libgreenpatch.so.
 *
 * What it does:
 *   1. Opens N connections to 127.0.0.1:PORT, keeping at most MAX_UNCONFIRMED of them
 *      between connect() and their first complete echo, so that the server's listen
 *      backlog never overflows (an overflowing backlog drops SYNs, and the kernel then
 *      retries them only after a second or more).
 *   2. Each connection sends its first message of S bytes and checks the echo. Then it
 *      waits until every connection has done so: at that moment the server holds N live
 *      connections, and the client samples the server process (--server-pid): OS threads
 *      (/proc/PID/task), VmRSS and VmHWM (/proc/PID/status), Pss (/proc/PID/smaps_rollup).
 *   3. All connections run the remaining rounds, then all are closed.
 * Byte K of round R on connection I is pattern_byte(I, R, K), so a byte delivered to the
 * wrong connection, in the wrong round or at the wrong offset is caught.
 *
 * Usage: echo_client --port P [--conns N] [--rounds R] [--size S] [--server-pid PID]
 *                    [--deadline-s SECONDS]
 * Prints one line on stdout:
 *   conns=N rounds=R bytes=B ok=1 peak_conns=N server_threads=T server_rss_kb=K
 *   server_hwm_kb=H server_pss_kb=K2 elapsed_ms=E
 * (server_* are -1 without --server-pid). On any error or mismatch, or when the deadline
 * passes, the reason goes to stderr, the line says ok=0 and the exit status is 1. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
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

/* Connections between connect() and their first complete echo: they may still sit in the
 * server's accept queue, which holds up to net.core.somaxconn (4096 by default). */
enum { MAX_UNCONFIRMED = 512 };
/* Descriptors the client needs besides its connections (stdio, epoll, /proc files). */
enum { SPARE_FDS = 16 };

struct options {
    unsigned port;
    unsigned long conns;
    unsigned long rounds;
    size_t size;
    long server_pid; /* -1: do not sample */
    long deadline_s;
};

enum conn_state {
    CONN_UNOPENED,   /* connect() not called yet */
    CONN_CONNECTING, /* nonblocking connect() in progress */
    CONN_ECHOING,    /* sending and checking the current round */
    CONN_AT_BARRIER, /* first round checked; waiting for every other connection */
    CONN_DONE,       /* all rounds checked; kept open until everyone is done */
};

struct conn {
    int fd;
    unsigned long index; /* position in the connection table, part of the byte pattern */
    enum conn_state state;
    unsigned long round; /* current round, counted from 0 */
    size_t sent;         /* bytes of the current round sent so far */
    size_t received;     /* bytes of the current round received and checked so far */
};

/* The server's figures, taken while it holds every connection. */
struct server_sample {
    long threads, rss_kb, hwm_kb, pss_kb;
};

/* Everything the event loop updates. */
struct client {
    struct options opt;
    struct conn *conns;
    int epoll_fd;
    unsigned long next_to_open;
    unsigned long unconfirmed;      /* opened but first round not yet checked */
    unsigned long first_round_done; /* connections past their first echo (never closed
                                       before the end, so also the number held at once) */
    unsigned long all_rounds_done;
    unsigned long long bytes_checked;
    struct server_sample sample;
    bool failed;
};

/* Reports an error and marks the run failed; the run stops at the first one. Returns false
 * so that callers can `return fail(...)`. */
static bool fail(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("echo_client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->failed = true;
    return false;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A cheap integer hash of (connection, round, offset), so that data echoed on the wrong
 * connection, in the wrong round or at the wrong offset is almost surely caught: a plain
 * counter would let a stream shifted by its period pass. */
static unsigned char pattern_byte(unsigned long index, unsigned long round, size_t offset)
{
    uint32_t x = (uint32_t)index * 0x9E3779B1u ^ (uint32_t)round * 0x85EBCA77u ^
                 (uint32_t)offset * 0xC2B2AE3Du;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 13;
    return (unsigned char)x;
}

/* ---- options ---- */

static unsigned long parse_number(const char *name, const char *text, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *text == '\0' || *end != '\0' || v > max) {
        fprintf(stderr, "echo_client: bad value for --%s: '%s'\n", name, text);
        exit(2);
    }
    return v;
}

static struct options parse_options(int argc, char **argv)
{
    struct options o = {.conns = 100, .rounds = 3, .size = 1024, .server_pid = -1,
                        .deadline_s = 120};
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},       {"conns", required_argument, NULL, 'n'},
        {"rounds", required_argument, NULL, 'r'},     {"size", required_argument, NULL, 's'},
        {"server-pid", required_argument, NULL, 'P'}, {"deadline-s", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': o.port = (unsigned)parse_number("port", optarg, 65535); break;
        case 'n': o.conns = parse_number("conns", optarg, 1000000); break;
        case 'r': o.rounds = parse_number("rounds", optarg, 1000000); break;
        case 's': o.size = parse_number("size", optarg, 1 << 30); break;
        case 'P': o.server_pid = (long)parse_number("server-pid", optarg, 1 << 30); break;
        case 'd': o.deadline_s = (long)parse_number("deadline-s", optarg, 86400); break;
        default: exit(2);
        }
    }
    if (optind != argc || o.port == 0 || o.conns == 0 || o.rounds == 0 || o.size == 0) {
        fprintf(stderr, "usage: echo_client --port P [--conns N] [--rounds R] [--size S] "
                        "[--server-pid PID] [--deadline-s SECONDS] (all > 0)\n");
        exit(2);
    }
    return o;
}

/* ---- sampling the server through /proc ---- */

static long count_tasks(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

/* The value in kB of the line "KEY:   123 kB" of a /proc file, or -1. */
static long proc_kb(long pid, const char *file, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    size_t key_len = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
            kb = strtol(line + key_len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static bool sample_server(struct client *c)
{
    long pid = c->opt.server_pid;
    struct server_sample *s = &c->sample;
    s->threads = count_tasks(pid);
    s->rss_kb = proc_kb(pid, "status", "VmRSS");
    s->hwm_kb = proc_kb(pid, "status", "VmHWM");
    s->pss_kb = proc_kb(pid, "smaps_rollup", "Pss");
    if (s->threads < 0 || s->rss_kb < 0 || s->hwm_kb < 0 || s->pss_kb < 0)
        return fail(c, "cannot read /proc/%ld (threads=%ld rss=%ld hwm=%ld pss=%ld)", pid,
                    s->threads, s->rss_kb, s->hwm_kb, s->pss_kb);
    return true;
}

/* ---- connections ---- */

static bool raise_fd_limit(struct client *c)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return fail(c, "getrlimit: %s", strerror(errno));
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        return fail(c, "setrlimit: %s", strerror(errno));
    if (limit.rlim_cur < c->opt.conns + SPARE_FDS)
        return fail(c, "%lu connections need %lu descriptors; the hard limit is %llu",
                    c->opt.conns, c->opt.conns + SPARE_FDS, (unsigned long long)limit.rlim_cur);
    return true;
}

static bool open_connection(struct client *c, struct conn *k)
{
    k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0)
        return fail(c, "socket: %s", strerror(errno));
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)c->opt.port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    if (connect(k->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS)
        return fail(c, "conn %lu: connect: %s", k->index, strerror(errno));
    /* Edge-triggered: every event is followed by reading or writing until EAGAIN. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = k};
    if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, k->fd, &ev) != 0)
        return fail(c, "epoll_ctl: %s", strerror(errno));
    k->state = CONN_CONNECTING;
    c->unconfirmed++;
    return true;
}

static bool open_more_connections(struct client *c)
{
    while (c->next_to_open < c->opt.conns && c->unconfirmed < MAX_UNCONFIRMED)
        if (!open_connection(c, &c->conns[c->next_to_open++]))
            return false;
    return true;
}

/* Sends what the socket takes of the current round. Returns false on error. */
static bool send_some(struct client *c, struct conn *k)
{
    unsigned char chunk[65536];
    while (k->sent < c->opt.size) {
        size_t len = c->opt.size - k->sent;
        if (len > sizeof chunk)
            len = sizeof chunk;
        for (size_t i = 0; i < len; i++)
            chunk[i] = pattern_byte(k->index, k->round, k->sent + i);
        ssize_t n = send(k->fd, chunk, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n < 0)
            return fail(c, "conn %lu round %lu: send: %s", k->index, k->round, strerror(errno));
        k->sent += (size_t)n;
    }
    return true;
}

/* Receives and checks what has arrived of the current round. Returns false on error. */
static bool receive_some(struct client *c, struct conn *k)
{
    unsigned char chunk[65536];
    while (k->received < c->opt.size) {
        size_t len = c->opt.size - k->received;
        ssize_t n = recv(k->fd, chunk, len < sizeof chunk ? len : sizeof chunk, 0);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n < 0)
            return fail(c, "conn %lu round %lu: recv: %s", k->index, k->round, strerror(errno));
        if (n == 0)
            return fail(c, "conn %lu round %lu: server closed the connection after %zu of %zu "
                           "bytes", k->index, k->round, k->received, c->opt.size);
        for (size_t i = 0; i < (size_t)n; i++) {
            unsigned char want = pattern_byte(k->index, k->round, k->received + i);
            if (chunk[i] != want)
                return fail(c, "conn %lu round %lu offset %zu: got 0x%02x, expected 0x%02x",
                            k->index, k->round, k->received + i, chunk[i], want);
        }
        k->received += (size_t)n;
        c->bytes_checked += (unsigned long long)n;
    }
    return true;
}

/* The echo of the last round is complete: nothing more may be waiting, and the server
 * must not have closed first. The connection then stays open until everyone is done. */
static bool finish_connection(struct client *c, struct conn *k)
{
    char extra;
    ssize_t n = recv(k->fd, &extra, 1, MSG_DONTWAIT);
    if (n > 0)
        return fail(c, "conn %lu: the server echoed more bytes than were sent", k->index);
    if (n == 0)
        return fail(c, "conn %lu: the server closed the connection before the client", k->index);
    if (errno != EAGAIN)
        return fail(c, "conn %lu: recv: %s", k->index, strerror(errno));
    c->all_rounds_done++;
    k->state = CONN_DONE;
    return true;
}

static bool round_complete(struct client *c, struct conn *k)
{
    k->round++;
    k->sent = k->received = 0;
    if (k->round == 1) {
        c->unconfirmed--;
        c->first_round_done++;
        k->state = CONN_AT_BARRIER;
        return true;
    }
    return k->round < c->opt.rounds || finish_connection(c, k);
}

/* Moves one connection as far as its socket allows. Returns false on error. */
static bool advance(struct client *c, struct conn *k)
{
    if (k->state == CONN_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (err != 0)
            return fail(c, "conn %lu: connect: %s", k->index, strerror(err));
        k->state = CONN_ECHOING;
    }
    while (k->state == CONN_ECHOING) {
        if (!send_some(c, k) || !receive_some(c, k))
            return false;
        if (k->received < c->opt.size)
            return true; /* the rest comes with a later event */
        if (!round_complete(c, k))
            return false;
    }
    return true;
}

/* Every connection has passed its first echo, so the server holds them all: sample it,
 * then let every connection go on with the other rounds. */
static bool pass_barrier(struct client *c)
{
    if (c->opt.server_pid > 0 && !sample_server(c))
        return false;
    for (unsigned long i = 0; i < c->opt.conns; i++) {
        struct conn *k = &c->conns[i];
        bool ok;
        if (c->opt.rounds == 1) {
            ok = finish_connection(c, k);
        } else {
            /* An edge-triggered socket has nothing new to report: start the round here. */
            k->state = CONN_ECHOING;
            ok = advance(c, k);
        }
        if (!ok)
            return false;
    }
    return true;
}

static bool run(struct client *c, double deadline_ms)
{
    struct epoll_event events[1024];
    bool barrier_passed = false;
    while (c->all_rounds_done < c->opt.conns) {
        if (!open_more_connections(c))
            return false;
        double left = deadline_ms - now_ms();
        if (left <= 0)
            return fail(c, "deadline of %ld s passed: %lu of %lu connections past the first "
                           "round, %lu done", c->opt.deadline_s, c->first_round_done,
                        c->opt.conns, c->all_rounds_done);
        int n = epoll_wait(c->epoll_fd, events, 1024, (int)left + 1);
        if (n < 0 && errno != EINTR)
            return fail(c, "epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++)
            if (!advance(c, events[i].data.ptr))
                return false;
        if (!barrier_passed && c->first_round_done == c->opt.conns) {
            barrier_passed = true;
            if (!pass_barrier(c))
                return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    double start = now_ms();
    struct client c = {.opt = parse_options(argc, argv), .sample = {-1, -1, -1, -1}};
    c.conns = calloc(c.opt.conns, sizeof *c.conns);
    if (!c.conns) {
        fprintf(stderr, "echo_client: out of memory\n");
        return 1;
    }
    for (unsigned long i = 0; i < c.opt.conns; i++)
        c.conns[i] = (struct conn){.fd = -1, .index = i, .state = CONN_UNOPENED};

    c.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (c.epoll_fd < 0)
        fail(&c, "epoll_create1: %s", strerror(errno));
    else if (raise_fd_limit(&c))
        run(&c, start + c.opt.deadline_s * 1e3);

    /* Closing is part of the run: each close ends one server thread. */
    for (unsigned long i = 0; i < c.opt.conns; i++)
        if (c.conns[i].fd >= 0)
            close(c.conns[i].fd);
    free(c.conns);

    printf("conns=%lu rounds=%lu bytes=%llu ok=%d peak_conns=%lu server_threads=%ld "
           "server_rss_kb=%ld server_hwm_kb=%ld server_pss_kb=%ld elapsed_ms=%.0f\n",
           c.opt.conns, c.opt.rounds, c.bytes_checked, !c.failed, c.first_round_done,
           c.sample.threads, c.sample.rss_kb, c.sample.hwm_kb, c.sample.pss_kb,
           now_ms() - start);
    return c.failed ? 1 : 0;
}
