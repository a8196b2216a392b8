/* Blocking sockets between threads of one process, on 127.0.0.1 (ephemeral ports):
 *  - a listener thread accepts the first client with accept() and the others with
 *    accept4(SOCK_CLOEXEC) (FD_CLOEXEC must be set exactly on those), and starts an echo
 *    thread per connection; client threads echo messages through send/recv,
 *    sendmsg/recvmsg, sendto/recvfrom and write/read;
 *  - recv(MSG_WAITALL) gets the full count in one call while the peer sends in pieces with
 *    pauses;
 *  - recv(MSG_PEEK) blocks until data arrives and leaves it for the next recv;
 *  - one send(), sendmsg(), sendto() or write() of several MiB on a blocking socket returns
 *    the full count while the peer reads slowly;
 *  - UDP: request/reply datagrams between two threads with sendto/recvfrom;
 *  - a unix socketpair: ping-pong between two threads.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while the echo clients run. */
#include "io_util.h"

#include <sys/un.h>

#define ECHO_CLIENTS 4
#define ECHO_MESSAGES 200
#define WAITALL_PIECES 4
#define WAITALL_PIECE 1000
#define BIG_SEND (8 * 1024 * 1024)
#define SLOW_READ_CHUNK (64 * 1024)
#define DATAGRAMS 50
#define UNIX_ROUND_TRIPS 1000

/* ---- echo server with accept/accept4 and clients using each send/recv family ---- */

/* How a client moves its bytes; one client per style. */
enum io_style {
    STYLE_SEND_RECV,
    STYLE_SENDMSG_RECVMSG,
    STYLE_SENDTO_RECVFROM,
    STYLE_WRITE_READ,
    IO_STYLES
};
static const char *const style_names[] = {"send/recv", "sendmsg/recvmsg", "sendto/recvfrom",
                                          "write/read"};
static const char *const send_call_names[] = {"send", "sendmsg", "sendto", "write"};

static ssize_t send_styled(enum io_style style, int fd, const void *buf, size_t len)
{
    switch (style) {
    case STYLE_SEND_RECV:
        return send(fd, buf, len, 0);
    case STYLE_SENDMSG_RECVMSG: {
        struct iovec iov = {(void *)buf, len};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        return sendmsg(fd, &msg, 0);
    }
    case STYLE_SENDTO_RECVFROM:
        return sendto(fd, buf, len, 0, NULL, 0);
    case STYLE_WRITE_READ:
        return write(fd, buf, len);
    case IO_STYLES:
        break;
    }
    return -1;
}

static ssize_t recv_styled(enum io_style style, int fd, void *buf, size_t len)
{
    switch (style) {
    case STYLE_SEND_RECV:
        return recv(fd, buf, len, 0);
    case STYLE_SENDMSG_RECVMSG: {
        struct iovec iov = {buf, len};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        return recvmsg(fd, &msg, 0);
    }
    case STYLE_SENDTO_RECVFROM:
        return recvfrom(fd, buf, len, 0, NULL, NULL);
    case STYLE_WRITE_READ:
        return read(fd, buf, len);
    case IO_STYLES:
        break;
    }
    return -1;
}

struct echo_server {
    int listen_fd;
    pthread_t handlers[ECHO_CLIENTS];
    bool cloexec_ok; /* FD_CLOEXEC on the accept4 fds only */
};

static void *echo_handler(void *arg)
{
    int fd = (int)(long)arg;
    char buf[512];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        ssize_t sent = send(fd, buf, (size_t)n, 0);
        CHECK(sent == n, "echo send");
    }
    CHECK(n == 0, "echo recv");
    close(fd);
    return NULL;
}

static void *listener(void *arg)
{
    struct echo_server *srv = arg;
    srv->cloexec_ok = true;
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        bool with_accept4 = i > 0;
        int fd = with_accept4 ? accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC)
                              : accept(srv->listen_fd, NULL, NULL);
        CHECK(fd >= 0, with_accept4 ? "accept4" : "accept");
        int fdflags = fcntl(fd, F_GETFD);
        if (((fdflags & FD_CLOEXEC) != 0) != with_accept4)
            srv->cloexec_ok = false;
        srv->handlers[i] = io_start_thread(echo_handler, (void *)(long)fd);
    }
    io_report_tasks(); /* main, this listener and the echo handlers are alive */
    for (int i = 0; i < ECHO_CLIENTS; i++)
        io_join(srv->handlers[i]);
    return NULL;
}

struct echo_client {
    int port;
    enum io_style style;
    int echoed; /* messages that came back intact */
};

static void *echo_client(void *arg)
{
    struct echo_client *c = arg;
    int fd = io_tcp_connect(c->port);
    for (int i = 0; i < ECHO_MESSAGES; i++) {
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "%s message %d\n", style_names[c->style], i);
        CHECK(send_styled(c->style, fd, msg, (size_t)len) == len, "client send");
        int got = 0;
        while (got < len) {
            ssize_t n = recv_styled(c->style, fd, back + got, (size_t)(len - got));
            CHECK(n > 0, "client recv");
            got += (int)n;
        }
        if (memcmp(msg, back, (size_t)len) == 0)
            c->echoed++;
    }
    close(fd);
    return NULL;
}

static void check_echo_server(void)
{
    struct echo_server srv;
    int port;
    srv.listen_fd = io_tcp_listener(&port);
    pthread_t lt = io_start_thread(listener, &srv);
    struct echo_client clients[ECHO_CLIENTS];
    pthread_t ct[ECHO_CLIENTS];
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        clients[i] = (struct echo_client){.port = port, .style = (enum io_style)i};
        ct[i] = io_start_thread(echo_client, &clients[i]);
    }
    for (int i = 0; i < ECHO_CLIENTS; i++)
        io_join(ct[i]);
    io_join(lt);
    close(srv.listen_fd);
    printf("accept + accept4(SOCK_CLOEXEC): FD_CLOEXEC %s\n",
           srv.cloexec_ok ? "as requested" : "WRONG");
    CHECK(srv.cloexec_ok, "FD_CLOEXEC after accept/accept4");
    for (int i = 0; i < ECHO_CLIENTS; i++) {
        printf("echo client %s: %d of %d messages echoed\n", style_names[i],
               clients[i].echoed, ECHO_MESSAGES);
        CHECK(clients[i].echoed == ECHO_MESSAGES, "echo");
    }
}

/* ---- MSG_WAITALL and MSG_PEEK ---- */

static void *send_in_pieces(void *arg)
{
    int fd = *(int *)arg;
    unsigned char piece[WAITALL_PIECE];
    for (int i = 0; i < WAITALL_PIECES; i++) {
        io_msleep(20);
        io_fill_pattern(piece, sizeof piece, (size_t)i * WAITALL_PIECE);
        CHECK(send(fd, piece, sizeof piece, 0) == WAITALL_PIECE, "send piece");
    }
    return NULL;
}

static void check_waitall(void)
{
    int fds[2];
    io_tcp_pair(fds);
    pthread_t sender = io_start_thread(send_in_pieces, &fds[1]);
    unsigned char buf[WAITALL_PIECES * WAITALL_PIECE];
    ssize_t n = recv(fds[0], buf, sizeof buf, MSG_WAITALL);
    io_join(sender);
    bool in_order = n == (ssize_t)sizeof buf && io_check_pattern(buf, sizeof buf, 0);
    printf("recv(MSG_WAITALL) of %zu bytes sent in %d pieces: %zd, in order: %s\n", sizeof buf,
           WAITALL_PIECES, n, in_order ? "yes" : "no");
    CHECK(in_order, "MSG_WAITALL");
    close(fds[0]);
    close(fds[1]);
}

static void *send_peekaboo_later(void *arg)
{
    int fd = *(int *)arg;
    io_msleep(20); /* the main thread blocks in recv(MSG_PEEK) meanwhile */
    CHECK(send(fd, "peekaboo", 8, 0) == 8, "send peekaboo");
    return NULL;
}

static void check_peek(void)
{
    int fds[2];
    io_tcp_pair(fds);
    pthread_t sender = io_start_thread(send_peekaboo_later, &fds[1]);
    char peeked[16] = "", taken[16] = "";
    ssize_t np = recv(fds[0], peeked, 8, MSG_PEEK);
    ssize_t nt = recv(fds[0], taken, 8, 0);
    io_join(sender);
    printf("recv(MSG_PEEK): %zd \"%s\", then recv: %zd \"%s\"\n", np, peeked, nt, taken);
    CHECK(np == 8 && nt == 8 && strcmp(peeked, "peekaboo") == 0 &&
              strcmp(taken, "peekaboo") == 0,
          "MSG_PEEK");
    close(fds[0]);
    close(fds[1]);
}

/* ---- a big blocking send to a slow reader ---- */

struct slow_reader {
    int fd;
    size_t received;
    bool in_order;
};

static void *read_slowly(void *arg)
{
    struct slow_reader *sr = arg;
    static unsigned char chunk[SLOW_READ_CHUNK];
    sr->in_order = true;
    ssize_t n;
    while ((n = recv(sr->fd, chunk, sizeof chunk, 0)) > 0) {
        if (!io_check_pattern(chunk, (size_t)n, sr->received))
            sr->in_order = false;
        sr->received += (size_t)n;
        io_msleep(1);
    }
    CHECK(n == 0, "slow reader recv");
    return NULL;
}

static void check_big_send(enum io_style style)
{
    int fds[2];
    io_tcp_pair(fds);
    struct slow_reader sr = {.fd = fds[1]};
    pthread_t reader = io_start_thread(read_slowly, &sr);
    unsigned char *buf = malloc(BIG_SEND);
    CHECK(buf != NULL, "malloc");
    io_fill_pattern(buf, BIG_SEND, 0);
    ssize_t sent = send_styled(style, fds[0], buf, BIG_SEND);
    CHECK(sent >= 0, "big send");
    shutdown(fds[0], SHUT_WR);
    io_join(reader);
    free(buf);
    printf("one %s() of %d bytes to a slow reader: %zd, reader got %zu, in order: %s\n",
           send_call_names[style], BIG_SEND, sent, sr.received, sr.in_order ? "yes" : "no");
    CHECK(sent == BIG_SEND && sr.received == BIG_SEND && sr.in_order, "big send");
    close(fds[0]);
    close(fds[1]);
}

/* ---- UDP request/reply ---- */

struct udp_server {
    int fd;
    int client_port;  /* the port the client bound, to check the reported source */
    bool sources_ok;
};

static void *udp_replier(void *arg)
{
    struct udp_server *us = arg;
    us->sources_ok = true;
    for (int i = 0; i < DATAGRAMS; i++) {
        char buf[64];
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(us->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        CHECK(n > 0, "udp recvfrom");
        if (ntohs(from.sin_port) != us->client_port)
            us->sources_ok = false;
        CHECK(sendto(us->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen) == n,
              "udp sendto reply");
    }
    return NULL;
}

static void check_udp(void)
{
    struct udp_server us;
    int server_port;
    us.fd = io_bound_socket(SOCK_DGRAM, &server_port);
    int client = io_bound_socket(SOCK_DGRAM, &us.client_port);
    pthread_t t = io_start_thread(udp_replier, &us);
    struct sockaddr_in to = io_loopback(server_port);
    int replies = 0;
    for (int i = 0; i < DATAGRAMS; i++) {
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "datagram %d", i);
        CHECK(sendto(client, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof to) == len,
              "udp sendto");
        ssize_t n = recvfrom(client, back, sizeof back, 0, NULL, NULL);
        if (n == len && memcmp(msg, back, (size_t)len) == 0)
            replies++;
    }
    io_join(t);
    printf("udp sendto/recvfrom: %d of %d replies intact, source ports %s\n", replies,
           DATAGRAMS, us.sources_ok ? "correct" : "WRONG");
    CHECK(replies == DATAGRAMS && us.sources_ok, "udp");
    close(client);
    close(us.fd);
}

/* ---- unix socketpair ping-pong ---- */

static void *unix_replier(void *arg)
{
    int fd = *(int *)arg;
    int value;
    ssize_t n;
    while ((n = recv(fd, &value, sizeof value, MSG_WAITALL)) == sizeof value) {
        value *= 2;
        CHECK(send(fd, &value, sizeof value, 0) == sizeof value, "unix send reply");
    }
    CHECK(n == 0, "unix recv");
    return NULL;
}

static void check_socketpair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    pthread_t t = io_start_thread(unix_replier, &sv[1]);
    int correct = 0;
    for (int i = 0; i < UNIX_ROUND_TRIPS; i++) {
        int reply;
        CHECK(send(sv[0], &i, sizeof i, 0) == sizeof i, "unix send");
        CHECK(recv(sv[0], &reply, sizeof reply, MSG_WAITALL) == sizeof reply, "unix recv");
        if (reply == 2 * i)
            correct++;
    }
    shutdown(sv[0], SHUT_WR);
    io_join(t);
    printf("unix socketpair: %d of %d replies correct\n", correct, UNIX_ROUND_TRIPS);
    CHECK(correct == UNIX_ROUND_TRIPS, "socketpair");
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    check_echo_server();
    check_waitall();
    check_peek();
    for (int style = 0; style < IO_STYLES; style++)
        check_big_send((enum io_style)style);
    check_udp();
    check_socketpair();
    printf("done\n");
    return 0;
}
