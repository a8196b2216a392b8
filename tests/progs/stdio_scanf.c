/* The scanf family on sockets and pipes, with the input arriving from another thread
 * while the main thread waits inside the call:
 *  - fscanf("%d %d") with the second number arriving after the first line: glibc's
 *    vfscanf skips the newline and waits for more, as natively;
 *  - a number cut by a pause ("12" then "34 "): one number, 1234;
 *  - 1000 numbers in arbitrary pieces, summed, then EOF (fscanf returns EOF, feof);
 *  - what fscanf did not use stays in the stream: fgets after it gets the rest of the
 *    line, also after a matching failure, and %n counts as natively;
 *  - scanf and vscanf on stdin (a pipe), %ms, and the plain (GNU) names, which programs
 *    built for C99 and later do not bind to (they call __isoc99_*): bound here by name.
 * The results are printed and compared with the native run. */
#include "stdio_util.h"

#include <pthread.h>

int gnu_fscanf(FILE *, const char *, ...) __asm__("fscanf");
int gnu_vfscanf(FILE *, const char *, va_list) __asm__("vfscanf");
int gnu_scanf(const char *, ...) __asm__("scanf");

static void two_numbers_two_lines(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"12\n", "\n  ", "34", " rest\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    struct coop_ticker t;
    int a = 0, b = 0;
    coop_start(&t, "fscanf", feed, &f);
    int r = fscanf(in, "%d %d", &a, &b);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    char rest[32];
    char *s = fgets(rest, sizeof rest, in);
    printf("fscanf %%d %%d over two lines: %d (%d, %d) after %d ticks, then fgets \"%s\", %s\n", r,
           a, b, ticks, s ? shown(rest) : "NULL", flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void number_cut_by_a_pause(void)
{
    int fds[2];
    pipe_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"12", "34 ", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    struct coop_ticker t;
    long v = 0;
    int used = 0;
    coop_start(&t, "number", feed, &f);
    int r = fscanf(in, "%ld%n", &v, &used);
    coop_finish(&t);
    int end = fscanf(in, "%ld", &v);
    printf("fscanf of a number cut by a pause: %d, %ld, %%n %d; at EOF: %d, %s\n", r, v, used,
           end, flags_of(in));
    fclose(in);
}

enum { NUMBERS = 1000 };

static void *number_writer(void *arg)
{
    int fd = *(int *)arg;
    char buf[16];
    for (int i = 0; i < NUMBERS; i++) {
        int len = snprintf(buf, sizeof buf, "%d%c", i * 3 - 500, i % 10 == 9 ? '\n' : ' ');
        int cut = i % 3 == 0 ? len / 2 : len;
        write_all(fd, buf, (size_t)cut);
        if (i % 37 == 0)
            usleep(PAUSE_US / 4);
        write_all(fd, buf + cut, (size_t)(len - cut));
    }
    MUST(close(fd) == 0, "close");
    return NULL;
}

static void many_numbers(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    pthread_t w = start_thread(NULL, number_writer, &fds[1]);
    long sum = 0;
    int count = 0, v, r;
    while ((r = fscanf(in, "%d", &v)) == 1) {
        sum += v;
        count++;
    }
    join_or_die(w);
    printf("fscanf of %d numbers in pieces: %d read, sum %ld, last result %d, %s\n", NUMBERS,
           count, sum, r, flags_of(in));
    fclose(in);
}

static void matching_failure(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"  ab", "c 7\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    struct coop_ticker t;
    int v = -1;
    coop_start(&t, "mismatch", feed, &f);
    int r = fscanf(in, "%d", &v);
    coop_finish(&t);
    char rest[32];
    char *s = fgets(rest, sizeof rest, in);
    printf("fscanf %%d on letters: %d, value %d, then fgets \"%s\", %s\n", r, v,
           s ? shown(rest) : "NULL", flags_of(in));
    fclose(in);
    close(fds[1]);
}

static int call_vscanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vscanf(fmt, ap);
    va_end(ap);
    return r;
}

static int call_gnu_vfscanf(FILE *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = gnu_vfscanf(in, fmt, ap);
    va_end(ap);
    return r;
}

static void stdin_and_plain_names(void)
{
    int fds[2];
    pipe_pair(fds);
    MUST(dup2(fds[0], 0) == 0, "dup2");
    close(fds[0]);
    const char *pieces[] = {"word ", "5\n6 ", "7 ", "x", "yz 8 9\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    struct coop_ticker t;
    coop_start(&t, "scanf", feed, &f);
    char *word = NULL, *word2 = NULL;
    int a = 0, b = 0, c = 0, d = 0, e = 0;
    int r1 = scanf("%ms %d", &word, &a);
    int r2 = call_vscanf("%d", &b);
    int r3 = gnu_scanf("%d %ms", &c, &word2);
    int r4 = gnu_fscanf(stdin, "%d", &d);
    int r5 = call_gnu_vfscanf(stdin, "%d", &e);
    int r6 = scanf("%d", &a);
    coop_finish(&t);
    printf("scanf %%ms %%d: %d \"%s\" %d; vscanf: %d %d; scanf (GNU): %d %d \"%s\"; fscanf (GNU):"
           " %d %d; vfscanf (GNU): %d %d; at EOF: %d, %s\n",
           r1, word ? word : "", a, r2, b, r3, c, word2 ? word2 : "", r4, d, r5, e,
           r6, flags_of(stdin));
    free(word);
    free(word2);
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    two_numbers_two_lines();
    number_cut_by_a_pause();
    many_numbers();
    matching_failure();
    stdin_and_plain_names();
    printf("done\n");
    return 0;
}
