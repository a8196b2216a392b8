/* A thread-pool style server: several threads wait in accept() on the same blocking listening
 * socket at once. Client threads make many connections, each announcing its number and
 * waiting for an acknowledgement; every connection must be accepted exactly once. Then one
 * "stop" connection per acceptor ends the pool (an acceptor leaves after its first stop).
 * With IO_REPORT_TASKS=1 it reports the OS thread count while the pool waits. */
#include "io_util.h"

#define ACCEPTORS 6
#define CLIENT_THREADS 4
#define CONNECTIONS_PER_CLIENT 10
#define CONNECTIONS (CLIENT_THREADS * CONNECTIONS_PER_CLIENT)
#define STOP_ID (-1)

static int listen_fd;
static int listen_port;
static int times_accepted[CONNECTIONS]; /* updated atomically by the acceptors */

static void *acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        CHECK(fd >= 0, "accept");
        int id;
        CHECK(io_read_full(fd, &id, sizeof id) == sizeof id, "read connection id");
        if (id == STOP_ID) {
            close(fd);
            return NULL;
        }
        CHECK(id >= 0 && id < CONNECTIONS, "connection id out of range");
        __atomic_add_fetch(&times_accepted[id], 1, __ATOMIC_RELAXED);
        io_write_all(fd, "k", 1);
        close(fd);
    }
}

/* Connects, sends id, and waits until the acceptor acknowledges (or closes, for a stop). */
static void connect_and_announce(int id)
{
    int fd = io_tcp_connect(listen_port);
    io_write_all(fd, &id, sizeof id);
    char ack;
    size_t got = io_read_full(fd, &ack, 1);
    CHECK(got == (id == STOP_ID ? 0u : 1u), "acknowledgement");
    close(fd);
}

static void *client(void *arg)
{
    int first = (int)(long)arg;
    for (int i = 0; i < CONNECTIONS_PER_CLIENT; i++)
        connect_and_announce(first + i);
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    listen_fd = io_tcp_listener(&listen_port);
    pthread_t acceptors[ACCEPTORS], clients[CLIENT_THREADS];
    for (int i = 0; i < ACCEPTORS; i++)
        acceptors[i] = io_start_thread(acceptor, NULL);
    io_msleep(20); /* let the whole pool block in accept() before the first connection */
    io_report_tasks();
    for (int i = 0; i < CLIENT_THREADS; i++)
        clients[i] = io_start_thread(client, (void *)(long)(i * CONNECTIONS_PER_CLIENT));
    for (int i = 0; i < CLIENT_THREADS; i++)
        io_join(clients[i]);
    for (int i = 0; i < ACCEPTORS; i++)
        connect_and_announce(STOP_ID);
    for (int i = 0; i < ACCEPTORS; i++)
        io_join(acceptors[i]);
    close(listen_fd);

    int exactly_once = 0;
    for (int i = 0; i < CONNECTIONS; i++)
        exactly_once += times_accepted[i] == 1;
    printf("%d acceptor threads in accept() on one socket: %d of %d connections accepted "
           "exactly once, all acceptors stopped\n",
           ACCEPTORS, exactly_once, CONNECTIONS);
    CHECK(exactly_once == CONNECTIONS, "each connection accepted exactly once");
    printf("done\n");
    return 0;
}
