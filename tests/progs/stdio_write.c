/* stdio output to sockets and pipes whose reader is another thread of the program, which
 * reads slowly: the writer must wait for room without stopping the reader (under the shim
 * both share one OS thread, so a write that blocked it would hang the program):
 *  - 2000 lines with fprintf, fputs, fwrite, putc and puts-style output to a socket with
 *    small buffers, then fclose: the reader gets every byte, in order;
 *  - fflush of 200000 buffered bytes into a pipe that the ticker drains only later;
 *  - line-buffered and unbuffered streams: exactly what glibc would have sent so far;
 *  - dprintf of 100000 bytes to a socket, fclose with output pending;
 *  - EPIPE: EOF, errno EPIPE, the error flag, SIGPIPE delivered once, the buffer dropped;
 *  - SO_SNDTIMEO expiry: a short count, EAGAIN, the error flag;
 *  - getw/putw on a pipe;
 *  - a regular file written, positioned and read back while other threads exist (the same
 *    code path: every stream with a file descriptor), in "w+", "a" and "r+" modes.
 * The results are printed and compared with the native run. */
#include "stdio_util.h"

#include <pthread.h>
#include <sys/socket.h>

enum { LINES = 2000 };

static void slow_reader_lines(void)
{
    int fds[2];
    small_socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    struct drain d = {.fd = fds[1], .pause_every = 4};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    int failures = 0;
    for (int i = 0; i < LINES; i++) {
        switch (i % 5) {
        case 0:
            failures += fprintf(out, "line %04d printed with %s\n", i, "fprintf") < 0;
            break;
        case 1:
            failures += fputs("line written with fputs\n", out) == EOF;
            break;
        case 2:
            failures += fwrite("line written with fwrite\n", 25, 1, out) != 1;
            break;
        case 3:
            for (const char *p = "line written with putc\n"; *p; p++)
                failures += putc(*p, out) == EOF;
            break;
        default:
            failures += fputc('\n', out) == EOF;
        }
        if (i == LINES / 2)
            report_os_threads("slow-reader");
    }
    bool error = ferror(out) != 0;
    int closed = fclose(out);
    join_or_die(r);
    size_t expected = 0, lines = 0;
    char want[64];
    for (int i = 0; i < LINES; i++) {
        const char *texts[] = {NULL, "line written with fputs\n", "line written with fwrite\n",
                               "line written with putc\n", "\n"};
        if (i % 5 == 0) {
            snprintf(want, sizeof want, "line %04d printed with %s\n", i, "fprintf");
            texts[0] = want;
        }
        const char *t = texts[i % 5];
        size_t len = strlen(t);
        if (expected + len <= d.len && memcmp(d.data + expected, t, len) == 0)
            lines++;
        expected += len;
    }
    printf("slow reader: %zu of %d lines in order, %zu of %zu bytes, failed calls %d, ferror %d,"
           " fclose %d\n",
           lines, LINES, d.len, expected, failures, error, closed);
    free(d.data);
    close(fds[1]);
}

static void drain_now(void *arg) { drain_thread(arg); }

static void fflush_full_pipe(void)
{
    enum { BIG = 200000 };
    int fds[2];
    pipe_pair(fds);
    FILE *out = open_stream(fds[1], "w");
    static char buf[BIG + 1];
    MUST(setvbuf(out, buf, _IOFBF, sizeof buf) == 0, "setvbuf");
    char *data = malloc(BIG);
    MUST(data != NULL, "malloc");
    fill_pattern(data, BIG, 0);
    size_t put = fwrite(data, 1, BIG, out); /* fits in the buffer: nothing written yet */
    struct drain d = {.fd = fds[0]};
    struct coop_ticker t;
    coop_start(&t, "fflush", drain_now, &d);
    int flushed = fflush(out);
    int ticks = coop_ticks(&t);
    MUST(close(fds[1]) == 0, "close"); /* the drain's EOF; the FILE is closed below */
    coop_finish(&t);
    printf("fflush of %zu buffered bytes into a pipe drained later: %d after %d ticks, reader got"
           " %zu bytes, pattern %s, %s\n",
           put, flushed, ticks, d.len, yes_no(is_pattern(d.data, d.len, 0)), flags_of(out));
    fclose(out); /* EBADF on the closed fd: its result is not the test's */
    free(data);
    free(d.data);
    close(fds[0]);
}

/* What arrived so far, without waiting. */
static const char *arrived(int fd)
{
    static char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return shown(buf);
}

static void buffering_modes(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    MUST(setvbuf(out, NULL, _IOLBF, 0) == 0, "setvbuf _IOLBF");
    fprintf(out, "abc");
    printf("line-buffered, no newline yet: \"%s\"\n", arrived(fds[1]));
    fprintf(out, "def\nghi");
    printf("line-buffered, after a newline: \"%s\"\n", arrived(fds[1]));
    fputs("jkl\nmno\npq", out);
    printf("line-buffered, two more lines: \"%s\"\n", arrived(fds[1]));
    putc('\n', out);
    printf("line-buffered, putc of a newline: \"%s\"\n", arrived(fds[1]));
    fclose(out);
    close(fds[1]);

    socket_pair(fds);
    out = open_stream(fds[0], "w");
    MUST(setvbuf(out, NULL, _IONBF, 0) == 0, "setvbuf _IONBF");
    fputs("one", out);
    printf("unbuffered, fputs: \"%s\"\n", arrived(fds[1]));
    fprintf(out, "%d-%s", 2, "two");
    printf("unbuffered, fprintf: \"%s\"\n", arrived(fds[1]));
    putc('3', out);
    printf("unbuffered, putc: \"%s\"\n", arrived(fds[1]));
    fclose(out);
    close(fds[1]);
}

static void dprintf_and_fclose(void)
{
    int fds[2];
    small_socket_pair(fds);
    struct drain d = {.fd = fds[1], .pause_every = 2};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    static char text[100001];
    fill_pattern(text, sizeof text - 1, 0);
    int n = dprintf(fds[0], "%s", text);
    FILE *out = open_stream(fds[0], "w");
    fprintf(out, "%s", "pending at fclose");
    int closed = fclose(out);
    join_or_die(r);
    printf("dprintf of 100000 bytes to a slow reader: %d, then fclose with output pending: %d,"
           " reader got %zu bytes, pattern %s, tail \"%.17s\"\n",
           n, closed, d.len, yes_no(is_pattern(d.data, 100000, 0)),
           d.len >= 17 ? d.data + d.len - 17 : "");
    free(d.data);
    close(fds[1]);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static void broken_pipe(void)
{
    struct sigaction sa = {.sa_handler = on_sigpipe};
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGPIPE, &sa, NULL) == 0, "sigaction");
    int fds[2];
    socket_pair(fds);
    close(fds[1]);
    FILE *out = open_stream(fds[0], "w");
    int put = fputs("nobody reads this\n", out);
    errno = 0;
    int flushed = fflush(out);
    int err = errno;
    printf("EPIPE: fputs %d, fflush %d %s, SIGPIPE handled %d, %s\n", put, flushed,
           error_name(err), (int)sigpipes, flags_of(out));
    clearerr(out);
    printf("after clearerr, fflush again: %d (the buffer was dropped), %s\n", fflush(out),
           flags_of(out));
    errno = 0;
    int printed = fprintf(out, "%s", "more\n");
    err = errno;
    int flushed_again = fflush(out);
    printf("fprintf %d, fflush %d %s, SIGPIPE handled %d\n", printed, flushed_again,
           error_name(err == 0 ? errno : err), (int)sigpipes);
    fclose(out);
    signal(SIGPIPE, SIG_IGN);
}

static void send_timeout(void)
{
    int fds[2];
    small_socket_pair(fds);
    struct timeval tv = {.tv_usec = 20000};
    MUST(setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0, "SO_SNDTIMEO");
    FILE *out = open_stream(fds[0], "w");
    enum { BIG = 1 << 20 };
    char *data = calloc(1, BIG);
    MUST(data != NULL, "calloc");
    errno = 0;
    size_t n = fwrite(data, 1, BIG, out);
    int err = errno;
    printf("fwrite of 1 MiB with SO_SNDTIMEO and nobody reading: short %s, %s, %s\n",
           yes_no(n < BIG), error_name(err), flags_of(out));
    free(data);
    fclose(out);
    close(fds[1]);
}

static void words(void)
{
    int fds[2];
    pipe_pair(fds);
    FILE *in = open_stream(fds[0], "r"), *out = open_stream(fds[1], "w");
    struct companion t;
    companion_start(&t);
    int put = putw(0x12345678, out) | putw(-2, out) | fflush(out);
    int a = getw(in), b = getw(in);
    fclose(out);
    int c = getw(in);
    companion_stop(&t);
    printf("putw/getw on a pipe: %d, %#x %d %d, %s\n", put, a, b, c, flags_of(in));
    fclose(in);
}

static void regular_file(void)
{
    char path[] = "/tmp/stdio_write_XXXXXX";
    int fd = mkstemp(path);
    MUST(fd >= 0, "mkstemp");
    close(fd);
    struct companion t;
    companion_start(&t);
    FILE *f = fopen(path, "w+");
    MUST(f != NULL, "fopen w+");
    long pos[4];
    for (int i = 0; i < 3000; i++)
        fprintf(f, "record %04d\n", i);
    pos[0] = ftell(f);
    fseek(f, 12 * 100, SEEK_SET);
    char rec[32], first[32];
    char *r = fgets(first, sizeof first, f);
    fseek(f, 0, SEEK_CUR);
    fputs("OVERWRITTEN\n", f);
    pos[1] = ftell(f);
    rewind(f);
    int lines = 0, changed = 0;
    while (fgets(rec, sizeof rec, f)) {
        lines++;
        changed += strcmp(rec, "OVERWRITTEN\n") == 0;
    }
    printf("regular file w+: ftell %ld, read back \"%s\", ftell after overwrite %ld, %d lines,"
           " %d overwritten, %s\n",
           pos[0], r ? shown(first) : "NULL", pos[1], lines, changed, flags_of(f));
    fclose(f);
    f = fopen(path, "a");
    MUST(f != NULL, "fopen a");
    fputs("appended\n", f);
    pos[2] = ftell(f);
    fclose(f);
    f = fopen(path, "r+");
    MUST(f != NULL, "fopen r+");
    char head[8] = "";
    size_t got = fread(head, 1, 7, f);
    fseek(f, 0, SEEK_CUR);
    fwrite("RECORD", 1, 6, f);
    fseek(f, -9, SEEK_END);
    char tail[16] = "";
    got += fread(tail, 1, sizeof tail - 1, f);
    pos[3] = ftell(f);
    rewind(f);
    char second[32];
    fgets(second, sizeof second, f);
    fgets(second, sizeof second, f);
    printf("append: ftell %ld; r+: read \"%s\", tail \"%s\", ftell %ld, second record \"%s\","
           " %zu bytes read, %s\n",
           pos[2], head, shown(tail), pos[3], shown(second), got, flags_of(f));
    fclose(f);
    companion_stop(&t);
    unlink(path);
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    signal(SIGPIPE, SIG_IGN);
    slow_reader_lines();
    fflush_full_pipe();
    buffering_modes();
    dprintf_and_fclose();
    broken_pipe();
    send_timeout();
    words();
    regular_file();
    printf("done\n");
    return 0;
}
