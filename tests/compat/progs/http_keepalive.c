/* A client of tests/compat/python/http_server.py that holds many keep-alive connections at
 * once from one thread (epoll), sends several requests on each and checks every byte of
 * every response.
 *   http_keepalive PORT CONNECTIONS ROUNDS
 * First every connection is opened and served its first request, all at once; then, with
 * all of them still open, one more connection asks for /threads (the server's thread count:
 * one per open connection, the main thread and the asking one), and the client prints a
 * "peak" line and waits up to 30 s for SIGUSR1, so that the test can count the server's OS
 * threads at that moment. Then the other ROUNDS - 1 requests go out on every connection,
 * all at once, the next as soon as the previous answer is complete.
 * Request R on connection C asks for /item/(C * ROUNDS + R); what the answer must be is
 * computed here the way the server computes it. Prints deterministic totals; exits 1 on
 * the first wrong byte, an early close or any failed call, and is ended by alarm() if
 * anything hangs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ALARM_S = 100, PEAK_WAIT_S = 30 };

struct conn {
    int fd;
    int id;
    int round;        /* the request in flight */
    int last_round;   /* the phase ends after this one */
    char *expected;   /* the whole answer to the request in flight */
    size_t expected_len, got, sent;
    char request[64];
    size_t request_len;
};

static struct sockaddr_in server;
static int rounds;
static unsigned long long bytes_checked, requests_done;

static void die(const char *what, int id)
{
    printf("FAILED: %s (connection %d): %s\n", what, id, strerror(errno));
    exit(1);
}

/* The server's answer to GET /item/k (http_server.py: item_body and the fixed headers). */
static char *item_response(int k, size_t *len)
{
    size_t letters = 100 + (size_t)k * 37 % 2000;
    char head[32];
    int head_len = snprintf(head, sizeof head, "item %d\n", k);
    size_t body_len = (size_t)head_len + letters;
    char *r = malloc(body_len + 256);
    int n = snprintf(r, 256,
                     "HTTP/1.1 200 OK\r\nServer: gp-compat\r\n"
                     "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     body_len, head);
    for (size_t j = 0; j < letters; j++)
        r[n + j] = (char)('a' + ((size_t)k + j) % 26);
    *len = (size_t)n + letters;
    return r;
}

static int connect_to_server(int flags, int id)
{
    int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
    if (fd < 0)
        die("socket", id);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS)
        die("connect", id);
    return fd;
}

static void start_request(struct conn *c)
{
    int k = c->id * rounds + c->round;
    free(c->expected);
    c->expected = item_response(k, &c->expected_len);
    c->request_len = (size_t)snprintf(c->request, sizeof c->request,
                                      "GET /item/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", k);
    c->got = c->sent = 0;
}

static void set_interest(int ep, struct conn *c, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, op, c->fd, &ev) < 0)
        die("epoll_ctl", c->id);
}

/* Drives one connection on an event; returns true when its phase is over. */
static bool advance(int ep, struct conn *c, uint32_t events)
{
    if (c->sent < c->request_len) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            errno = ECONNREFUSED;
            die("connect or send", c->id);
        }
        ssize_t n = send(c->fd, c->request + c->sent, c->request_len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == ENOTCONN))
            return false;
        if (n < 0)
            die("send", c->id);
        c->sent += (size_t)n;
        if (c->sent == c->request_len)
            set_interest(ep, c, EPOLLIN, EPOLL_CTL_MOD);
        return false;
    }
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EAGAIN)
        return false;
    if (n < 0)
        die("recv", c->id);
    if (n == 0) {
        errno = ECONNRESET;
        die("the server closed the connection early", c->id);
    }
    if (c->got + (size_t)n > c->expected_len ||
        memcmp(buf, c->expected + c->got, (size_t)n) != 0) {
        printf("FAILED: connection %d round %d: the answer differs from byte %zu on:\n%.*s\n",
               c->id, c->round, c->got, (int)n, buf);
        exit(1);
    }
    c->got += (size_t)n;
    if (c->got < c->expected_len)
        return false;
    bytes_checked += c->expected_len;
    requests_done++;
    if (c->round == c->last_round) {
        set_interest(ep, c, 0, EPOLL_CTL_MOD);
        return true;
    }
    c->round++;
    start_request(c);
    set_interest(ep, c, EPOLLOUT, EPOLL_CTL_MOD);
    return false;
}

/* Runs rounds first..last on every connection, all at once. */
static void run_phase(int ep, struct conn *conns, int n, int first, int last)
{
    for (int i = 0; i < n; i++) {
        conns[i].round = first;
        conns[i].last_round = last;
        start_request(&conns[i]);
        set_interest(ep, &conns[i], EPOLLOUT, first == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD);
    }
    struct epoll_event evs[256];
    for (int left = n; left > 0;) {
        int k = epoll_wait(ep, evs, 256, -1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("epoll_wait", -1);
        for (int i = 0; i < k; i++)
            left -= advance(ep, evs[i].data.ptr, evs[i].events);
    }
}

/* GET /threads on a connection of its own, with blocking calls. */
static long server_threads(void)
{
    int fd = connect_to_server(0, -1);
    static const char req[] =
        "GET /threads HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
        die("send /threads", -1);
    char buf[1024];
    size_t len = 0;
    for (ssize_t n; (n = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0;)
        len += (size_t)n;
    buf[len] = 0;
    close(fd);
    const char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) != 0 || !body) {
        printf("FAILED: /threads answered:\n%s\n", buf);
        exit(1);
    }
    return strtol(body + 4, NULL, 10);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT CONNECTIONS ROUNDS\n", argv[0]);
        return 2;
    }
    alarm(ALARM_S);
    int n = atoi(argv[2]);
    rounds = atoi(argv[3]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    server = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);

    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1", -1);
    struct conn *conns = calloc((size_t)n, sizeof *conns);
    for (int i = 0; i < n; i++) {
        conns[i].id = i;
        conns[i].fd = connect_to_server(SOCK_NONBLOCK, i);
    }
    run_phase(ep, conns, n, 0, 0);
    long threads = server_threads();
    printf("peak: %d connections open, each answered once; the server counts %ld threads\n", n,
           threads);
    fflush(stdout);
    struct timespec wait = {PEAK_WAIT_S, 0};
    if (sigtimedwait(&usr1, NULL, &wait) != SIGUSR1)
        die("no SIGUSR1 after the peak", -1);
    if (threads != n + 2) {
        printf("FAILED: the server counts %ld threads, expected %d\n", threads, n + 2);
        return 1;
    }
    run_phase(ep, conns, n, 1, rounds - 1);
    for (int i = 0; i < n; i++) {
        close(conns[i].fd);
        free(conns[i].expected);
    }
    free(conns);
    close(ep);
    printf("%d connections x %d requests: %llu answers, %llu bytes, every byte as expected\n", n,
           rounds, requests_done, bytes_checked);
    return 0;
}
