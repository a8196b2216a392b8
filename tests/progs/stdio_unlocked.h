/* The body of stdio_unlocked.c and stdio_unlocked_calls.c: the same program built two
 * ways. With optimisation (stdio_unlocked) <stdio.h> inlines getc_unlocked, putc_unlocked
 * and their kin down to __uflow and __overflow, and small constant-size fread_unlocked
 * and fwrite_unlocked into loops of them; without (stdio_unlocked_calls) every one is a
 * call of the function of that name. Each waits while another thread provides the data or
 * makes the room:
 *  - fgets_unlocked of a line arriving in pieces;
 *  - fgetc_unlocked, getc_unlocked, getchar_unlocked (stdin replaced by a pipe);
 *  - fread_unlocked of 50000 bytes arriving in chunks, and of 8 bytes (a loop of
 *    getc_unlocked when inlined);
 *  - under flockfile: putc_unlocked, fputc_unlocked, fputs_unlocked, fwrite_unlocked
 *    (big and small) to a socket whose reader is slow, then fflush_unlocked;
 *  - putchar_unlocked to stdout.
 * The results are printed and compared with the native run. */
#include "stdio_util.h"

#include <pthread.h>

static void line_unlocked(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"un", "locked ", "line\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    struct coop_ticker t;
    char line[64];
    coop_start(&t, "fgets_unlocked", feed, &f);
    char *r = fgets_unlocked(line, sizeof line, in);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("fgets_unlocked of a line in pieces: \"%s\" after %d ticks, %s\n",
           r ? shown(line) : "NULL", ticks, flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void bytes_unlocked(void)
{
    int fds[2];
    pipe_pair(fds);
    MUST(dup2(fds[0], 0) == 0, "dup2");
    close(fds[0]);
    const char *pieces[] = {"x", "y", "z", "12345678", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    struct coop_ticker t;
    coop_start(&t, "getc_unlocked", feed, &f);
    int a = fgetc_unlocked(stdin);
    int ticks = coop_ticks(&t);
    int b = getc_unlocked(stdin);
    int c = getchar_unlocked();
    char eight[9] = "";
    size_t n = fread_unlocked(eight, 1, 8, stdin);
    int d = getc_unlocked(stdin);
    coop_finish(&t);
    printf("fgetc_unlocked after %d ticks: %c, getc_unlocked: %c, getchar_unlocked: %c,"
           " fread_unlocked of 8: %zu \"%s\", then %d, %s\n",
           ticks, a, b, c, n, eight, d, flags_of(stdin));
}

static void block_unlocked(void)
{
    enum { BIG = 50000 };
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    struct pattern_feeder f = {.fd = fds[1], .total = BIG, .chunk = 3000, .close_after = true};
    pthread_t w = start_thread(NULL, pattern_feed_thread, &f);
    char *buf = malloc(BIG + 1);
    MUST(buf != NULL, "malloc");
    size_t n = fread_unlocked(buf, 1, BIG + 1, in);
    join_or_die(w);
    printf("fread_unlocked of %d bytes in chunks: %zu, pattern %s, %s\n", BIG, n,
           yes_no(is_pattern(buf, n, 0)), flags_of(in));
    free(buf);
    fclose(in);
}

static void writes_unlocked(void)
{
    int fds[2];
    small_socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    struct drain d = {.fd = fds[1], .pause_every = 3};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    int failures = 0;
    flockfile(out);
    for (int i = 0; i < 3000; i++) {
        failures += putc_unlocked('p', out) == EOF;
        failures += fputc_unlocked('c', out) == EOF;
        failures += fputs_unlocked("fputs", out) == EOF;
        failures += fwrite_unlocked("fwrite", 1, 6, out) != 6;
        failures += fwrite_unlocked("|", 1, 1, out) != 1;
    }
    static char block[20000];
    fill_pattern(block, sizeof block, 0);
    failures += fwrite_unlocked(block, 1, sizeof block, out) != sizeof block;
    int flushed = fflush_unlocked(out);
    funlockfile(out);
    report_os_threads("writes_unlocked");
    fclose(out);
    join_or_die(r);
    size_t good = 0;
    for (size_t i = 0; i + 14 <= d.len && i < 3000 * 14; i += 14)
        good += memcmp(d.data + i, "pcfputsfwrite|", 14) == 0;
    printf("unlocked writes to a slow reader: %zu of 3000 records, block pattern %s, %zu bytes,"
           " failed calls %d, fflush_unlocked %d\n",
           good, yes_no(d.len == 3000 * 14 + sizeof block && is_pattern(d.data + 3000 * 14, sizeof block, 0)),
           d.len, failures, flushed);
    free(d.data);
    close(fds[1]);
}

static void stdout_unlocked(void)
{
    struct companion c;
    companion_start(&c);
    flockfile(stdout);
    for (const char *p = "putchar_unlocked to stdout\n"; *p; p++)
        putchar_unlocked(*p);
    funlockfile(stdout);
    companion_stop(&c);
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    line_unlocked();
    bytes_unlocked();
    block_unlocked();
    writes_unlocked();
    stdout_unlocked();
    printf("done\n");
    return 0;
}
