/* sendfile, splice and tee, each made by the main thread while the ticker (coop.h) ticks
 * and then does what lets the call finish:
 *  - sendfile of a 4 MiB file into a TCP socket with small buffers: the ticker reads all
 *    of it at the other end; a blocking sendfile sends everything;
 *  - sendfile of 1 MiB into a full pipe, which the ticker empties: it sends as much as
 *    there is room for then;
 *  - splice of 60,000 bytes from a pipe into such a socket: it waits for room and goes on
 *    until the pipe is empty;
 *  - splice from a socket into a pipe, and from a pipe into a pipe, with nothing there
 *    yet: the ticker sends 100 bytes, writes 10;
 *  - tee from an empty pipe: the ticker writes 10 bytes; they are still in the first pipe;
 *  - vmsplice into a full pipe, which the ticker empties, and from an empty pipe, into
 *    which the ticker writes 10 bytes.
 * Afterwards no fd shows O_NONBLOCK. */
#include "poll_util.h"

#include <stdlib.h>
#include <sys/sendfile.h>

enum { FILE_BYTES = 4 << 20, PIPE_SEND = 1 << 20, SPLICED = 60000 };

static int pattern_file(size_t len)
{
    char path[] = "/tmp/poll_transfer.XXXXXX";
    int fd = mkstemp(path);
    must_succeed(fd < 0 ? errno : 0, "mkstemp");
    unlink(path);
    unsigned char *buf = malloc(len);
    io_fill_pattern(buf, len, 0);
    must_succeed(write(fd, buf, len) == (ssize_t)len ? 0 : errno, "write file");
    free(buf);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static bool nonblocking(int fd) { return fcntl(fd, F_GETFL) & O_NONBLOCK; }

static void report(const char *what, ssize_t r, int err, int ticks, const struct drain *d,
                   bool flags_clean)
{
    char buf[64];
    printf("%s: %s, the other end got %zu bytes, in order: %s, O_NONBLOCK left: %s, ticks "
           "while it waited: %d\n",
           what, io_result(buf, sizeof buf, r, err), d->got, yes_no(d->in_order),
           yes_no(!flags_clean), ticks);
}

static void sendfile_to_socket(void)
{
    int file = pattern_file(FILE_BYTES), s[2];
    small_tcp_pair(s);
    struct drain d = {.fd = s[1], .want = FILE_BYTES};
    struct coop_ticker t;
    off_t off = 0;
    coop_start(&t, "sendfile-socket", drain_all, &d);
    ssize_t r = sendfile(s[0], file, &off, FILE_BYTES);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    report("sendfile of 4 MiB into a TCP socket", r, err, ticks, &d, !nonblocking(s[0]));
    printf("sendfile's offset after: %lld\n", (long long)off);
    close(file);
    close(s[0]);
    close(s[1]);
}

/* A blocking sendfile into a pipe waits for room, then fills what room there is. */
static void sendfile_to_full_pipe(void)
{
    int file = pattern_file(PIPE_SEND), p[2];
    make_pipe(p);
    size_t full = fill_until_full(p[1]);
    struct drain prefill = {.fd = p[0], .want = full};
    struct coop_ticker t;
    coop_start(&t, "sendfile-pipe", drain_all, &prefill);
    ssize_t r = sendfile(p[1], file, NULL, PIPE_SEND);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    struct drain d = {.fd = p[0], .want = r > 0 ? (size_t)r : 0};
    drain_all(&d);
    char buf[64];
    printf("sendfile of 1 MiB into a full pipe, the ticker empties it: %s, no more than the "
           "pipe holds: %s, the reader got them in order: %s, file offset moved as much: %s, "
           "O_NONBLOCK left: %s, ticks while it waited: %d\n",
           r > 0 ? "sent some" : io_result(buf, sizeof buf, r, err), yes_no((size_t)r <= full),
           yes_no(d.got == (size_t)r && d.in_order),
           yes_no(lseek(file, 0, SEEK_CUR) == (off_t)r), yes_no(nonblocking(p[1])), ticks);
    close(file);
    close_pipe(p);
}

static void splice_pipe_to_socket(void)
{
    int p[2], s[2];
    make_pipe(p);
    small_tcp_pair(s);
    unsigned char *buf = malloc(SPLICED);
    io_fill_pattern(buf, SPLICED, 0);
    must_succeed(write(p[1], buf, SPLICED) == SPLICED ? 0 : errno, "fill the pipe");
    free(buf);
    struct drain d = {.fd = s[1], .want = SPLICED};
    struct coop_ticker t;
    coop_start(&t, "splice-to-socket", drain_all, &d);
    ssize_t r = splice(p[0], NULL, s[0], NULL, SPLICED, 0);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    report("splice of 60000 bytes from a pipe into a TCP socket", r, err, ticks, &d,
           !nonblocking(s[0]) && !nonblocking(p[0]));
    close_pipe(p);
    close(s[0]);
    close(s[1]);
}

/* The ticker's wake: n pattern bytes into the fd. */
struct feed {
    int fd;
    size_t n;
};

static void feed(void *arg)
{
    struct feed *f = arg;
    unsigned char buf[128];
    io_fill_pattern(buf, f->n, 0);
    must_succeed(write(f->fd, buf, f->n) == (ssize_t)f->n ? 0 : errno, "feed");
}

/* splice (or tee, when tee_it) from `in` into the pipe p, which the ticker feeds through
 * feed_fd. */
static void move_from(const char *what, const char *where, int in, int feed_fd, size_t n,
                      bool tee_it)
{
    int p[2];
    make_pipe(p);
    struct feed f = {.fd = feed_fd, .n = n};
    struct coop_ticker t;
    coop_start(&t, where, feed, &f);
    ssize_t r = tee_it ? tee(in, p[1], 4096, 0) : splice(in, NULL, p[1], NULL, 4096, 0);
    int err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    struct drain d = {.fd = p[0], .want = r > 0 ? (size_t)r : 0};
    drain_all(&d);
    report(what, r, err, ticks, &d, !nonblocking(in) && !nonblocking(p[1]));
    if (tee_it) {
        struct drain left = {.fd = in, .want = n};
        drain_all(&left);
        printf("tee left the bytes in the first pipe: %s\n", yes_no(left.got == n));
    }
    close_pipe(p);
}

static void vmsplice_waits(void)
{
    int p[2];
    make_pipe(p);
    size_t full = fill_until_full(p[1]);
    struct drain prefill = {.fd = p[0], .want = full};
    static unsigned char page[4096];
    io_fill_pattern(page, sizeof page, 0);
    struct iovec iov = {page, sizeof page};
    struct coop_call c;
    COOP_CALL(&c, "vmsplice-in", drain_all, &prefill, vmsplice(p[1], &iov, 1, 0));
    struct drain d = {.fd = p[0], .want = c.r > 0 ? (size_t)c.r : 0};
    drain_all(&d);
    char buf[64];
    printf("vmsplice of 4096 bytes into a full pipe, the ticker empties it: %s, the reader got "
           "them in order: %s, ticks while it waited: %d\n",
           call_result(buf, sizeof buf, &c), yes_no(d.got == (size_t)c.r && d.in_order), c.ticks);

    unsigned char got[64] = {0};
    struct iovec out = {got, sizeof got};
    struct feed f = {.fd = p[1], .n = 10};
    COOP_CALL(&c, "vmsplice-out", feed, &f, vmsplice(p[0], &out, 1, 0));
    printf("vmsplice from an empty pipe, 10 bytes come: %s, in order: %s, ticks while it waited: "
           "%d\n",
           call_result(buf, sizeof buf, &c), yes_no(io_check_pattern(got, 10, 0)), c.ticks);
    close_pipe(p);
}

int main(void)
{
    safety_alarm();
    sendfile_to_socket();
    sendfile_to_full_pipe();
    splice_pipe_to_socket();
    int s[2], p[2];
    small_tcp_pair(s);
    move_from("splice from a TCP socket into a pipe, 100 bytes come", "splice-from-socket", s[1],
              s[0], 100, false);
    close(s[0]);
    close(s[1]);
    make_pipe(p);
    move_from("splice from a pipe into a pipe, 10 bytes come", "splice-pipes", p[0], p[1], 10,
              false);
    move_from("tee from a pipe into a pipe, 10 bytes come", "tee", p[0], p[1], 10, true);
    close_pipe(p);
    vmsplice_waits();
    printf("done\n");
    return 0;
}
