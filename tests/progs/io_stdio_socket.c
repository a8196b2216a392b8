/* stdio streams (fdopen) on the two ends of a connected loopback TCP socket, in a threaded
 * program, after blocking socket calls on the same fds had to wait for another thread:
 *  - two threads play recv/send ping-pong over the connection, each recv waiting for the
 *    other thread's send (under the shim: cooperative waits on both fds);
 *  - then a writer thread writes LINES lines with fprintf and fflush after each (they fit in
 *    the socket buffers, so no fflush has to wait), shuts down its write side and is joined;
 *  - only then a reader thread reads them back with fgets, with all the data and the EOF
 *    already there. Every line must arrive intact and in order, ferror must be 0 on both
 *    streams, the reader must end at EOF, and fcntl(F_GETFL) must show no O_NONBLOCK on
 *    either fd: the socket calls before left both fds the blocking fds stdio expects.
 * Deliberately not checked here: a fgets (or fflush) that has to wait for another thread;
 * the stdio_* programs (tests/test_stdio.c) do that.
 * With IO_REPORT_TASKS=1 it reports the OS thread count during the ping-pong. */
#include "io_util.h"

#define ROUND_TRIPS 200
#define LINES 500 /* about 20 KB: well within the loopback socket buffers */

/* ---- recv/send ping-pong: the threads wait for each other on both fds ---- */

struct pingpong {
    int fds[2];      /* fds[0] pings, fds[1] replies */
    bool replies_ok; /* set by the pinger */
};

static void recv_int(int fd, int *value)
{
    CHECK(recv(fd, value, sizeof *value, MSG_WAITALL) == sizeof *value, "recv");
}

static void send_int(int fd, int value)
{
    CHECK(send(fd, &value, sizeof value, 0) == sizeof value, "send");
}

static void *pinger(void *arg)
{
    struct pingpong *pp = arg;
    pp->replies_ok = true;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        send_int(pp->fds[0], i);
        int reply;
        recv_int(pp->fds[0], &reply);
        if (reply != i + 1)
            pp->replies_ok = false;
        if (i == 0)
            io_report_tasks(); /* main, pinger and replier are all alive now */
    }
    return NULL;
}

static void *replier(void *arg)
{
    struct pingpong *pp = arg;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        int request;
        recv_int(pp->fds[1], &request);
        send_int(pp->fds[1], request + 1);
    }
    return NULL;
}

static void ping_pong(int fds[2])
{
    struct pingpong pp = {.fds = {fds[0], fds[1]}};
    pthread_t r = io_start_thread(replier, &pp);
    pthread_t p = io_start_thread(pinger, &pp);
    io_join(p);
    io_join(r);
    printf("recv/send ping-pong: %d round trips, replies %s\n", ROUND_TRIPS,
           pp.replies_ok ? "correct" : "WRONG");
    CHECK(pp.replies_ok, "ping-pong");
}

/* ---- stdio on the same socket, with the data already there when fgets runs ---- */

struct stdio_run {
    FILE *out;          /* the writer's stream, on fds[0] */
    FILE *in;           /* the reader's stream, on fds[1] */
    int lines_written;  /* fprintf and fflush both succeeded */
    bool write_error;   /* ferror() on out */
    int lines_read;     /* lines read intact and in order */
    bool read_error;    /* ferror() on in */
    bool eof;           /* the reader ended at EOF */
};

static void format_line(char *buf, size_t size, int i)
{
    snprintf(buf, size, "line %d of the stdio-on-a-socket test\n", i);
}

static void *line_writer(void *arg)
{
    struct stdio_run *run = arg;
    for (int i = 0; i < LINES; i++) {
        char line[128];
        format_line(line, sizeof line, i);
        if (fprintf(run->out, "%s", line) > 0 && fflush(run->out) == 0)
            run->lines_written++;
    }
    run->write_error = ferror(run->out) != 0;
    CHECK(shutdown(fileno(run->out), SHUT_WR) == 0, "shutdown SHUT_WR"); /* the reader's EOF */
    return NULL;
}

static void *line_reader(void *arg)
{
    struct stdio_run *run = arg;
    char got[128], want[128];
    while (fgets(got, sizeof got, run->in)) {
        format_line(want, sizeof want, run->lines_read);
        if (strcmp(got, want) != 0)
            break;
        run->lines_read++;
    }
    run->read_error = ferror(run->in) != 0;
    run->eof = feof(run->in) != 0;
    return NULL;
}

static FILE *open_stream(int fd, const char *mode)
{
    FILE *f = fdopen(fd, mode);
    CHECK(f != NULL, "fdopen");
    return f;
}

static void stdio_lines(int fds[2])
{
    struct stdio_run run = {.out = open_stream(fds[0], "w"), .in = open_stream(fds[1], "r")};
    io_join(io_start_thread(line_writer, &run));
    io_join(io_start_thread(line_reader, &run)); /* only now: no fgets has to wait */
    bool writer_nonblocking = io_is_nonblocking(fds[0]);
    bool reader_nonblocking = io_is_nonblocking(fds[1]);
    printf("fprintf+fflush wrote %d of %d lines, ferror on the writer: %d\n", run.lines_written,
           LINES, run.write_error);
    printf("fgets read %d lines intact, ferror on the reader: %d, ended at EOF: %s\n",
           run.lines_read, run.read_error, run.eof ? "yes" : "no");
    printf("O_NONBLOCK on the writer's fd: %s, on the reader's fd: %s\n",
           writer_nonblocking ? "yes" : "no", reader_nonblocking ? "yes" : "no");
    CHECK(run.lines_written == LINES && !run.write_error && run.lines_read == LINES &&
              !run.read_error && run.eof && !writer_nonblocking && !reader_nonblocking,
          "stdio on a socket");
    CHECK(fclose(run.out) == 0, "fclose writer");
    CHECK(fclose(run.in) == 0, "fclose reader");
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    int fds[2];
    io_tcp_pair(fds);
    ping_pong(fds);
    stdio_lines(fds);
    printf("done\n");
    return 0;
}
