/* open() of a FIFO, which waits for the other end (fifo(7)), made by the main thread while
 * the ticker (coop.h) ticks and then opens the other end:
 *  - O_RDONLY waits for a writer, O_WRONLY for a reader; neither fd shows O_NONBLOCK
 *    afterwards, and a byte goes through;
 *  - a request and a response over two FIFOs, each side opening both in the order that
 *    only works because each open returns as soon as the other end is there;
 *  - an O_RDONLY open that a signal handler (without SA_RESTART) interrupts: EINTR. */
#include "poll_util.h"

#include <sys/stat.h>

static char dir[] = "/tmp/poll_fifo_open.XXXXXX";
static char req[sizeof dir + 8], resp[sizeof dir + 8];

struct other_end {
    const char *path;
    int flags;
    int fd;
};

static void open_other_end(void *arg)
{
    struct other_end *o = arg;
    o->fd = open(o->path, o->flags);
    must_succeed(o->fd < 0 ? errno : 0, "open the other end");
}

static void one_direction(int flags, const char *name)
{
    struct other_end o = {.path = req, .flags = flags == O_RDONLY ? O_WRONLY : O_RDONLY};
    struct coop_ticker t;
    coop_start(&t, name, open_other_end, &o);
    int fd = open(req, flags | O_CLOEXEC), err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    must_succeed(fd < 0 ? err : 0, "open the fifo");
    int w = flags == O_WRONLY ? fd : o.fd, r = flags == O_WRONLY ? o.fd : fd;
    write_one_byte(&w);
    char c = 0;
    ssize_t n = read(r, &c, 1);
    int fl = fcntl(fd, F_GETFL);
    printf("open %s of a FIFO, the ticker opens the other end: an fd, O_NONBLOCK: %s, "
           "O_CLOEXEC: %s, a byte went through: %s, ticks while it waited: %d\n",
           name, yes_no(fl & O_NONBLOCK), yes_no(fcntl(fd, F_GETFD) & FD_CLOEXEC),
           yes_no(n == 1 && c == 'x'), ticks);
    close(fd);
    close(o.fd);
}

/* The server: reads a request from req, answers on resp. */
static void *server(void *arg)
{
    (void)arg;
    int in = open(req, O_RDONLY), out = open(resp, O_WRONLY);
    must_succeed(in < 0 || out < 0 ? errno : 0, "server open");
    char q[16] = {0};
    must_succeed(read(in, q, sizeof q - 1) > 0 ? 0 : errno, "server read");
    must_succeed(write(out, "pong", 4) == 4 ? 0 : errno, "server write");
    close(in);
    close(out);
    return NULL;
}

static void request_response(void)
{
    pthread_t s = start_thread(NULL, server, NULL);
    int out = open(req, O_WRONLY), in = open(resp, O_RDONLY);
    must_succeed(out < 0 || in < 0 ? errno : 0, "client open");
    must_succeed(write(out, "ping", 4) == 4 ? 0 : errno, "client write");
    char a[16] = {0};
    ssize_t n = read(in, a, sizeof a - 1);
    join_or_die(s);
    printf("request and response over two FIFOs, each side opening both: answer %s\n",
           n > 0 ? a : "none");
    close(in);
    close(out);
}

static void interrupted(void)
{
    catch_usr1(0);
    struct coop_call c;
    COOP_CALL(&c, "fifo-eintr", send_usr1, NULL, open(req, O_RDONLY));
    char buf[64];
    printf("open O_RDONLY of a FIFO, SIGUSR1 (no SA_RESTART) comes: %s, handler ran: %d time(s)\n",
           call_result(buf, sizeof buf, &c), (int)usr1_handled);
    if (c.r >= 0)
        close((int)c.r);
}

static void remove_fifos(void)
{
    unlink(req);
    unlink(resp);
    rmdir(dir);
}

int main(void)
{
    safety_alarm();
    must_succeed(mkdtemp(dir) ? 0 : errno, "mkdtemp");
    snprintf(req, sizeof req, "%s/req", dir);
    snprintf(resp, sizeof resp, "%s/resp", dir);
    must_succeed(mkfifo(req, 0600) || mkfifo(resp, 0600) ? errno : 0, "mkfifo");
    atexit(remove_fifos);
    one_direction(O_RDONLY, "O_RDONLY");
    one_direction(O_WRONLY, "O_WRONLY");
    request_response();
    interrupted();
    printf("done\n");
    return 0;
}
