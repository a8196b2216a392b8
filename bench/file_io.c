/* What a regular-file call costs: pread of 4 KiB and of 1 MiB that the page cache holds,
 * a buffered 4 KiB pwrite, and fsync (of a clean file, and after a 4 KiB write). Run by
 * scripts/bench-file-io natively and under the shim with each GREENPATCH_FILE_IO mode; a
 * second thread is alive (parked on a pipe) so that under the shim every call takes the
 * cooperative path, as in a program with green threads. Prints "name nanoseconds-per-call"
 * lines, the median of five rounds.
 * Usage: file_io DIRECTORY (a disk-backed file system: a file there is created and removed) */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { FILE_BYTES = 4 << 20, ROUNDS = 5 };

static int fd, park[2];
static char *buf;

static void *parked(void *unused)
{
    (void)unused;
    char c;
    return read(park[0], &c, 1) == 1 ? NULL : (void *)1;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void read_4k(int i)
{
    if (pread(fd, buf, 4096, (off_t)(i % 1024) * 4096) != 4096)
        fail("pread");
}

static void read_1m(int i)
{
    if (pread(fd, buf, 1 << 20, (off_t)(i % 4) << 20) != 1 << 20)
        fail("pread");
}

static void write_4k(int i)
{
    if (pwrite(fd, buf, 4096, (off_t)(i % 1024) * 4096) != 4096)
        fail("pwrite");
}

static void fsync_clean(int i)
{
    (void)i;
    if (fsync(fd))
        fail("fsync");
}

static void fsync_dirty(int i)
{
    write_4k(i);
    if (fsync(fd))
        fail("fsync");
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const char *name, void (*call)(int), int n)
{
    double per_call[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double start = now_ns();
        for (int i = 0; i < n; i++)
            call(i);
        per_call[r] = (now_ns() - start) / n;
    }
    qsort(per_call, ROUNDS, sizeof per_call[0], compare);
    printf("%s %.0f\n", name, per_call[ROUNDS / 2]);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/file_io.%d", argv[1], (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("open");
    unlink(path);
    buf = malloc(1 << 20);
    memset(buf, 'x', 1 << 20);
    for (int i = 0; i < FILE_BYTES >> 20; i++)
        if (write(fd, buf, 1 << 20) != 1 << 20)
            fail("write");
    if (fsync(fd))
        fail("fsync");
    pthread_t t;
    if (pipe(park) || pthread_create(&t, NULL, parked, NULL))
        fail("thread");
    measure("pread-4k-cached", read_4k, 20000);
    measure("pread-1m-cached", read_1m, 400);
    measure("pwrite-4k-buffered", write_4k, 20000);
    measure("fsync-clean", fsync_clean, 2000);
    measure("fsync-after-4k-write", fsync_dirty, 100);
    if (write(park[1], "x", 1) != 1 || pthread_join(t, NULL))
        fail("join");
    return 0;
}
