/* connect() from a thread, each answer as natively:
 *  - to a port that is bound but not listening: -1 ECONNREFUSED;
 *  - to a listening socket: 0, and the socket stays blocking; a second connect: -1 EISCONN;
 *  - on a socket the program made O_NONBLOCK itself: at once 0 or -1 EINPROGRESS (printed as
 *    one class, since loopback may complete either way), then writable with SO_ERROR 0;
 *  - the same to the refusing port: refused either at once or through SO_ERROR.
 * A second thread accepts the connections meanwhile, so the process has several threads.
 * With IO_REPORT_TASKS=1 it reports the OS thread count. */
#include "io_util.h"

#include <poll.h>

/* Connections the accepting thread takes: the blocking one and the non-blocking one. */
#define ACCEPTED_CONNECTIONS 2

struct ports {
    int refusing; /* bound, never listening */
    int listening;
};

static int connect_to(int fd, int port)
{
    struct sockaddr_in a = io_loopback(port);
    return connect(fd, (struct sockaddr *)&a, sizeof a);
}

static int new_tcp_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0, "socket");
    return fd;
}

/* Waits (bounded) until a non-blocking connect finished; returns its SO_ERROR. */
static int pending_connect_result(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    CHECK(poll(&p, 1, 5000) == 1, "poll for connect completion");
    int err;
    socklen_t len = sizeof err;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0, "SO_ERROR");
    return err;
}

/* "0 or -1 EINPROGRESS" is one class: which one loopback gives is not ours to fix. */
static const char *nonblocking_connect_class(int ret, int err)
{
    if (ret == 0 || err == EINPROGRESS)
        return "0 or -1 EINPROGRESS";
    return strerrorname_np(err);
}

static void check_blocking_connects(const struct ports *p)
{
    int fd = new_tcp_socket();
    EXPECT_ERRNO("connect to a bound port nobody listens on", connect_to(fd, p->refusing),
                 ECONNREFUSED);
    close(fd);

    fd = new_tcp_socket();
    int ret = connect_to(fd, p->listening);
    printf("connect to a listening socket: %d, O_NONBLOCK afterwards: %s\n", ret,
           io_is_nonblocking(fd) ? "yes" : "no");
    CHECK(ret == 0 && !io_is_nonblocking(fd), "blocking connect");
    EXPECT_ERRNO("second connect on the connected socket", connect_to(fd, p->listening),
                 EISCONN);
    close(fd);
}

static void check_nonblocking_connects(const struct ports *p)
{
    int fd = new_tcp_socket();
    io_set_nonblocking(fd, true);
    int ret = connect_to(fd, p->listening);
    const char *cls = nonblocking_connect_class(ret, errno);
    int so_error = ret == 0 ? 0 : pending_connect_result(fd);
    printf("connect on an O_NONBLOCK socket to a listener: %s, then SO_ERROR %d, "
           "O_NONBLOCK still set: %s\n",
           cls, so_error, io_is_nonblocking(fd) ? "yes" : "no");
    CHECK(strcmp(cls, "0 or -1 EINPROGRESS") == 0 && so_error == 0 && io_is_nonblocking(fd),
          "non-blocking connect");
    close(fd);

    fd = new_tcp_socket();
    io_set_nonblocking(fd, true);
    ret = connect_to(fd, p->refusing);
    int err = errno;
    bool refused = (ret == -1 && err == ECONNREFUSED) ||
                   (ret == -1 && err == EINPROGRESS && pending_connect_result(fd) == ECONNREFUSED);
    printf("connect on an O_NONBLOCK socket to a refusing port: refused (at once or through "
           "SO_ERROR): %s\n",
           refused ? "yes" : "no");
    CHECK(refused, "non-blocking connect refused");
    close(fd);
}

static void *connector(void *arg)
{
    const struct ports *p = arg;
    io_report_tasks(); /* main waits in join, the acceptor in accept() */
    check_blocking_connects(p);
    check_nonblocking_connects(p);
    return NULL;
}

static void *acceptor(void *arg)
{
    int listen_fd = *(int *)arg;
    for (int i = 0; i < ACCEPTED_CONNECTIONS; i++) {
        int fd = accept(listen_fd, NULL, NULL);
        CHECK(fd >= 0, "accept");
        close(fd);
    }
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    struct ports ports;
    int refusing_fd = io_bound_socket(SOCK_STREAM, &ports.refusing);
    int listen_fd = io_tcp_listener(&ports.listening);
    pthread_t a = io_start_thread(acceptor, &listen_fd);
    pthread_t c = io_start_thread(connector, &ports);
    io_join(c);
    io_join(a);
    close(listen_fd);
    close(refusing_fd);
    printf("done\n");
    return 0;
}
