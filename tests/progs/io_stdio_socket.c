/* stdio streams on a connected loopback TCP socket (fdopen), one per thread: a writer thread
 * writes lines with fprintf and fflush after each; a reader thread, already waiting in
 * fgets before the first line is sent, reads them back. All lines must arrive in order,
 * neither stream may report an error (ferror == 0), and the reader ends at EOF when the
 * writer's fclose closes the socket.
 * glibc's fgets and fflush reach the socket through glibc's internal read and write, which
 * no interposer sees; under the shim that is the "calls glibc makes internally" edge.
 * With IO_REPORT_TASKS=1 it reports the OS thread count once the first line arrived. */
#include "io_util.h"

#define LINES 2000

static int format_line(char *buf, size_t size, int i)
{
    return snprintf(buf, size, "line %d of the stdio-on-a-socket test\n", i);
}

struct stream_result {
    int lines;      /* lines written, or lines read intact */
    bool error;     /* ferror() on the stream before fclose */
    bool eof;       /* the reader ended at EOF */
};

static void *writer(void *arg)
{
    int fd = *(int *)arg;
    struct stream_result *res = calloc(1, sizeof *res);
    CHECK(res != NULL, "calloc");
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL, "fdopen w");
    io_msleep(20); /* the reader is in fgets by now, on an empty socket */
    for (int i = 0; i < LINES; i++) {
        char line[128];
        format_line(line, sizeof line, i);
        if (fprintf(f, "%s", line) > 0 && fflush(f) == 0)
            res->lines++;
    }
    res->error = ferror(f) != 0;
    CHECK(fclose(f) == 0, "fclose writer");
    return res;
}

static void *reader(void *arg)
{
    int fd = *(int *)arg;
    struct stream_result *res = calloc(1, sizeof *res);
    CHECK(res != NULL, "calloc");
    FILE *f = fdopen(fd, "r");
    CHECK(f != NULL, "fdopen r");
    char got[128], want[128];
    while (fgets(got, sizeof got, f)) {
        format_line(want, sizeof want, res->lines);
        if (strcmp(got, want) != 0)
            break;
        if (++res->lines == 1)
            io_report_tasks(); /* main, writer and reader are alive */
    }
    res->error = ferror(f) != 0;
    res->eof = feof(f) != 0;
    CHECK(fclose(f) == 0, "fclose reader");
    return res;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    int fds[2];
    io_tcp_pair(fds);
    pthread_t r = io_start_thread(reader, &fds[1]);
    pthread_t w = io_start_thread(writer, &fds[0]);
    struct stream_result *written = io_join(w);
    struct stream_result *received = io_join(r);
    printf("fprintf+fflush wrote %d of %d lines, ferror on the writer: %d\n", written->lines,
           LINES, written->error);
    printf("fgets read %d lines intact, ferror on the reader: %d, ended at EOF: %s\n",
           received->lines, received->error, received->eof ? "yes" : "no");
    CHECK(written->lines == LINES && !written->error && received->lines == LINES &&
              !received->error && received->eof,
          "stdio on a socket");
    free(written);
    free(received);
    printf("done\n");
    return 0;
}
