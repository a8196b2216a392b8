/* close() of an fd that another thread is blocked on wakes that thread with -1 EBADF (the
 * shim's promise, see design.md "Known hard edges"; natively Linux leaves the blocked
 * thread waiting, so this program is only run under the shim). For a read() on an empty
 * pipe, a recv() on a quiet socket and an accept() on a listening socket: thread A blocks,
 * thread B closes the fd after a short sleep, and A's call must return -1 EBADF; then the
 * process exits normally. The alarm turns a waiter that is never woken into SIGALRM.
 * Lines are flushed one by one so that a hang still shows how far it got.
 * With IO_REPORT_TASKS=1 it reports the OS thread count before each close. */
#include "io_util.h"

struct close_case {
    const char *what;
    int fd;
    long (*call)(int fd);
    long ret;
    int err;
};

static long call_read(int fd)
{
    char c;
    return read(fd, &c, 1);
}

static long call_recv(int fd)
{
    char c;
    return recv(fd, &c, 1, 0);
}

static long call_accept(int fd) { return accept(fd, NULL, NULL); }

static void *waiter(void *arg)
{
    struct close_case *c = arg;
    c->ret = c->call(c->fd);
    c->err = errno;
    return NULL;
}

static void *closer(void *arg)
{
    struct close_case *c = arg;
    io_msleep(50); /* the waiter is blocked by now */
    io_report_tasks(); /* main waits in join, the waiter in its call */
    CHECK(close(c->fd) == 0, "close");
    return NULL;
}

static void run_close_case(struct close_case *c)
{
    pthread_t a = io_start_thread(waiter, c);
    pthread_t b = io_start_thread(closer, c);
    io_join(b);
    io_join(a);
    char buf[64];
    printf("%s, closed by another thread: %s\n", c->what,
           io_result(buf, sizeof buf, c->ret, c->err));
    CHECK(c->ret == -1 && c->err == EBADF, c->what);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    setvbuf(stdout, NULL, _IOLBF, 0);

    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    struct close_case pipe_case = {"read on an empty pipe", p[0], call_read, 0, 0};
    run_close_case(&pipe_case);
    close(p[1]);

    int s[2];
    io_tcp_pair(s);
    struct close_case socket_case = {"recv on a quiet socket", s[0], call_recv, 0, 0};
    run_close_case(&socket_case);
    close(s[1]);

    int port;
    struct close_case listen_case = {"accept on a listening socket", io_tcp_listener(&port),
                                     call_accept, 0, 0};
    run_close_case(&listen_case);

    printf("done\n");
    return 0;
}
