/* Pipes between threads, with blocking read/write/readv/writev:
 *  - ping-pong: two threads exchange many small messages over two pipes; each reply must be
 *    the request plus one, and the replier sees EOF once the pinger closes its end;
 *  - a 1 MiB write() in one call while another thread reads in small chunks: the blocking
 *    write returns the full count and the reader gets every byte in order;
 *  - writev records read back with readv into odd-sized buffers, the reader blocked first;
 *  - a read blocked on an empty pipe returns 0 (EOF) when the writer closes its end.
 * With IO_REPORT_TASKS=1 it reports the OS thread count during the ping-pong. */
#include "io_util.h"

#include <sys/uio.h>

#define ROUND_TRIPS 5000
#define BIG_WRITE (1024 * 1024)
#define SMALL_CHUNK 1000
#define RECORDS 100

/* One pipe: fds[0] is the read end, fds[1] the write end. */
static void make_pipe(int fds[2]) { CHECK(pipe(fds) == 0, "pipe"); }

struct pingpong {
    int requests[2]; /* pinger -> replier */
    int replies[2];  /* replier -> pinger */
    bool replies_ok; /* set by the pinger */
    bool saw_eof;    /* set by the replier */
};

static void *pinger(void *arg)
{
    struct pingpong *pp = arg;
    pp->replies_ok = true;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        io_write_all(pp->requests[1], &i, sizeof i);
        int reply;
        CHECK(io_read_full(pp->replies[0], &reply, sizeof reply) == sizeof reply,
              "pinger: short reply");
        if (reply != i + 1)
            pp->replies_ok = false;
        if (i == 0)
            io_report_tasks(); /* main, pinger and replier are all alive now */
    }
    close(pp->requests[1]);
    return NULL;
}

static void *replier(void *arg)
{
    struct pingpong *pp = arg;
    int request;
    size_t got;
    while ((got = io_read_full(pp->requests[0], &request, sizeof request)) == sizeof request) {
        request++;
        io_write_all(pp->replies[1], &request, sizeof request);
    }
    pp->saw_eof = got == 0;
    return NULL;
}

static void check_pingpong(void)
{
    struct pingpong pp = {0};
    make_pipe(pp.requests);
    make_pipe(pp.replies);
    pthread_t r = io_start_thread(replier, &pp);
    pthread_t p = io_start_thread(pinger, &pp);
    io_join(p);
    io_join(r);
    printf("ping-pong: %d round trips, replies %s, replier saw EOF: %s\n", ROUND_TRIPS,
           pp.replies_ok ? "correct" : "WRONG", pp.saw_eof ? "yes" : "no");
    CHECK(pp.replies_ok && pp.saw_eof, "ping-pong");
    close(pp.requests[0]);
    close(pp.replies[0]);
    close(pp.replies[1]);
}

struct big_write {
    int fds[2];
    ssize_t written;  /* what the single write() returned */
    size_t received;  /* bytes the reader got before EOF */
    bool in_order;
};

static void *big_writer(void *arg)
{
    struct big_write *bw = arg;
    unsigned char *buf = malloc(BIG_WRITE);
    CHECK(buf != NULL, "malloc");
    io_fill_pattern(buf, BIG_WRITE, 0);
    bw->written = write(bw->fds[1], buf, BIG_WRITE);
    CHECK(bw->written >= 0, "big write");
    close(bw->fds[1]);
    free(buf);
    return NULL;
}

static void *small_reader(void *arg)
{
    struct big_write *bw = arg;
    unsigned char chunk[SMALL_CHUNK];
    bw->in_order = true;
    ssize_t n;
    while ((n = read(bw->fds[0], chunk, sizeof chunk)) > 0) {
        if (!io_check_pattern(chunk, (size_t)n, bw->received))
            bw->in_order = false;
        bw->received += (size_t)n;
    }
    CHECK(n == 0, "small reader: read");
    return NULL;
}

static void check_big_write(void)
{
    struct big_write bw = {0};
    make_pipe(bw.fds);
    pthread_t w = io_start_thread(big_writer, &bw);
    pthread_t r = io_start_thread(small_reader, &bw);
    io_join(w);
    io_join(r);
    printf("big write: write() returned %zd of %d, reader got %zu bytes, in order: %s\n",
           bw.written, BIG_WRITE, bw.received, bw.in_order ? "yes" : "no");
    CHECK(bw.written == BIG_WRITE && bw.received == BIG_WRITE && bw.in_order, "big write");
    close(bw.fds[0]);
}

/* Each record is written with one writev() of three pieces. */
static const char *const record_parts[] = {"alpha-", "beta-", "gamma\n"};
#define RECORD_LEN 17

struct vectored {
    int fds[2];
    char received[RECORDS * RECORD_LEN + 1];
    size_t received_len;
};

static void *vector_writer(void *arg)
{
    struct vectored *v = arg;
    io_msleep(20); /* let the reader block in readv() on the empty pipe first */
    struct iovec iov[3];
    for (int i = 0; i < 3; i++)
        iov[i] = (struct iovec){(void *)record_parts[i], strlen(record_parts[i])};
    for (int i = 0; i < RECORDS; i++)
        CHECK(writev(v->fds[1], iov, 3) == RECORD_LEN, "writev");
    close(v->fds[1]);
    return NULL;
}

static void *vector_reader(void *arg)
{
    struct vectored *v = arg;
    char first[7], second[9];
    struct iovec iov[2] = {{first, sizeof first}, {second, sizeof second}};
    ssize_t n;
    while ((n = readv(v->fds[0], iov, 2)) > 0) {
        CHECK(v->received_len + (size_t)n < sizeof v->received, "readv: too much data");
        size_t from_first = (size_t)n < sizeof first ? (size_t)n : sizeof first;
        memcpy(v->received + v->received_len, first, from_first);
        memcpy(v->received + v->received_len + from_first, second, (size_t)n - from_first);
        v->received_len += (size_t)n;
    }
    CHECK(n == 0, "readv");
    return NULL;
}

static void check_vectored(void)
{
    struct vectored v = {0};
    make_pipe(v.fds);
    pthread_t r = io_start_thread(vector_reader, &v);
    pthread_t w = io_start_thread(vector_writer, &v);
    io_join(w);
    io_join(r);
    bool content_ok = v.received_len == RECORDS * RECORD_LEN;
    for (size_t off = 0; content_ok && off < v.received_len; off += RECORD_LEN)
        content_ok = memcmp(v.received + off, "alpha-beta-gamma\n", RECORD_LEN) == 0;
    printf("writev/readv: %zu bytes of %d records, content %s\n", v.received_len, RECORDS,
           content_ok ? "correct" : "WRONG");
    CHECK(content_ok, "writev/readv");
    close(v.fds[0]);
}

static void *close_write_end_later(void *arg)
{
    int *write_end = arg;
    io_msleep(50);
    close(*write_end);
    return NULL;
}

static void check_eof_wakes_reader(void)
{
    int fds[2];
    make_pipe(fds);
    pthread_t closer = io_start_thread(close_write_end_later, &fds[1]);
    char c;
    ssize_t n = read(fds[0], &c, 1);
    io_join(closer);
    printf("read blocked on an empty pipe, writer closes: %zd\n", n);
    CHECK(n == 0, "EOF on pipe");
    close(fds[0]);
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    check_pingpong();
    check_big_write();
    check_vectored();
    check_eof_wakes_reader();
    printf("done\n");
    return 0;
}
