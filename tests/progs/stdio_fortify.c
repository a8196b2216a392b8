/* The names that a -D_FORTIFY_SOURCE=2 -O2 build binds to (CFLAGS_stdio_fortify in the
 * Makefile): __fgets_chk, __fgets_unlocked_chk, __fread_chk, __fread_unlocked_chk for
 * reads into buffers of known size with a length known only at run time, and
 * __printf_chk, __fprintf_chk, __vprintf_chk, __vfprintf_chk, __dprintf_chk,
 * __vdprintf_chk. Each read waits for data another thread sends in pieces; the formatted
 * output goes to a socket whose reader is slow. The results are printed and compared with
 * the native run. */
#include "stdio_util.h"

#include <pthread.h>

static volatile int runtime_size = 64; /* a length the compiler cannot see */

static void lines(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"fort", "ified\n", "unlo", "cked\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    struct coop_ticker t;
    char a[64], b[64];
    coop_start(&t, "fgets_chk", feed, &f);
    char *r1 = fgets(a, runtime_size, in);
    int ticks = coop_ticks(&t);
    char *r2 = fgets_unlocked(b, runtime_size, in);
    coop_finish(&t);
    printf("__fgets_chk after %d ticks: \"%s\", __fgets_unlocked_chk: \"%s\", %s\n", ticks,
           r1 ? shown(a) : "NULL", r2 ? shown(b) : "NULL", flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void blocks(void)
{
    enum { BIG = 40000 };
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    struct pattern_feeder f = {.fd = fds[1], .total = 2 * BIG, .chunk = 5000, .close_after = true};
    pthread_t w = start_thread(NULL, pattern_feed_thread, &f);
    static char a[BIG], b[BIG];
    volatile size_t count = BIG;
    size_t n1 = fread(a, 1, count, in);
    size_t n2 = fread_unlocked(b, 1, count, in);
    join_or_die(w);
    printf("__fread_chk: %zu, pattern %s; __fread_unlocked_chk: %zu, pattern %s; %s\n", n1,
           yes_no(is_pattern(a, n1, 0)), n2, yes_no(is_pattern(b, n2, BIG)), flags_of(in));
    fclose(in);
}

static int call_vfprintf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(out, fmt, ap);
    va_end(ap);
    return r;
}

static int call_vdprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vdprintf(fd, fmt, ap);
    va_end(ap);
    return r;
}

/* The fortified vprintf inline calls __vfprintf_chk on stdout; older headers and
 * unoptimised builds call this one. */
int __vprintf_chk(int flag, const char *fmt, va_list ap);

static int call_vprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = __vprintf_chk(1, fmt, ap);
    va_end(ap);
    return r;
}

static void formatted(void)
{
    int fds[2];
    small_socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    struct drain d = {.fd = fds[1], .pause_every = 2};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    long total = 0;
    for (int i = 0; i < 1000; i++) {
        total += fprintf(out, "fprintf %04d|", i);
        total += call_vfprintf(out, "vfprintf %04d|", i);
        if (i % 100 == 0)
            fflush(out);
        total += dprintf(fds[0], "%s", "");
    }
    fflush(out);
    total += dprintf(fds[0], "dprintf %d|", 1);
    total += call_vdprintf(fds[0], "vdprintf %d|", 2);
    report_os_threads("printf_chk");
    fclose(out);
    join_or_die(r);
    size_t ok = 0, at = 0;
    char want[64];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(want, sizeof want, "fprintf %04d|vfprintf %04d|", i, i);
        ok += at + (size_t)n <= d.len && memcmp(d.data + at, want, (size_t)n) == 0;
        at += (size_t)n;
    }
    printf("__fprintf_chk and __vfprintf_chk to a slow reader: %zu of 1000 pairs, returned %ld,"
           " tail \"%.*s\"\n",
           ok, total, (int)(d.len - at), d.data + at);
    free(d.data);
    close(fds[1]);
    printf("__printf_chk: %d\n", 42);
    call_vprintf("__vprintf_chk: %s\n", "yes");
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    lines();
    blocks();
    formatted();
    printf("done\n");
    return 0;
}
