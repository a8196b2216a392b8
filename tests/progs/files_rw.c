/* Reads, writes, syncs and size changes of a regular file, with what each returns compared
 * between a native run and a run under the shim: the byte counts, offsets and file
 * positions, short reads at the end of the file, and the errors (EBADF, EINVAL, EISDIR,
 * ESPIPE, ...) of pread, pread64, preadv, preadv64, preadv2, pwrite, pwrite64, pwritev,
 * pwritev64, pwritev2, read and write (also on an O_SYNC file), fsync, fdatasync, syncfs,
 * sync, sync_file_range, ftruncate, ftruncate64, fallocate, posix_fallocate, msync, and the
 * _FORTIFY_SOURCE entry __pread_chk. A second thread is alive throughout, so that under the
 * shim every call takes the cooperative path.
 *
 * Where the calls ran shows in the OS thread count, reported on stderr (REPORT_OS_THREADS=1)
 * at two points: after the reads of data the page cache holds ("cached-reads"; under the
 * shim in its default mode no worker has been needed yet, so 1), and after a read of the
 * same file dropped from the page cache ("evicted-read"; under the shim a worker read it).
 * The file lives beside the program, on a disk-backed file system (tmpfs pages cannot be
 * dropped). */
#include "thread_prog.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

enum { FILE_BYTES = 3 * 4096 + 100 };

/* What pread becomes in a program built with _FORTIFY_SOURCE when the buffer's size is
 * known (glibc's <bits/unistd.h>). */
extern ssize_t __pread_chk(int fd, void *buf, size_t nbytes, off_t offset, size_t buflen);

static int companion_pipe[2];

/* Alive until main is done: a second thread, which reads the pipe. */
static void *companion(void *arg)
{
    (void)arg;
    char c;
    must_succeed(read(companion_pipe[0], &c, 1) == 1 ? 0 : EIO, "companion read");
    return NULL;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + i / 251); }

static bool matches(const unsigned char *buf, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pattern(offset + i))
            return false;
    return true;
}

/* "what: 12 (data right)" or "what: -1 EINVAL". */
static void report(const char *what, long r, int err, const char *note)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, error_name(err));
    else
        printf("%s: %ld%s%s%s\n", what, r, note ? " (" : "", note ? note : "", note ? ")" : "");
}

/* A read's result, with whether it read want bytes of the file from offset into buf. */
static void report_read(const char *what, ssize_t n, int err, const unsigned char *buf,
                        ssize_t want, size_t offset)
{
    bool right = n == want && matches(buf, (size_t)want, offset);
    report(what, n, err, right ? "data right" : "DATA WRONG");
}

#define CALL(what, call, note)                                                                \
    do {                                                                                      \
        errno = 0;                                                                            \
        long r_ = (long)(call);                                                               \
        report((what), r_, errno, (note));                                                    \
    } while (0)

static off_t position(int fd) { return lseek(fd, 0, SEEK_CUR); }
static off_t size_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static void cached_reads(int fd, int dir, int pipe_end, int closed)
{
    unsigned char buf[8192];
    errno = 0;
    ssize_t n = pread(fd, buf, 100, 0);
    report_read("pread 100 at 0", n, errno, buf, 100, 0);
    n = pread(fd, buf, 1000, FILE_BYTES - 388);
    report_read("pread 1000 at 388 before the end", n, errno, buf, 388, FILE_BYTES - 388);
    CALL("pread at the end", pread(fd, buf, 10, FILE_BYTES), NULL);
    CALL("pread past the end", pread(fd, buf, 10, FILE_BYTES + 5000), NULL);
    CALL("pread at a negative offset", pread(fd, buf, 10, -1), NULL);
    CALL("pread of a directory", pread(dir, buf, 10, 0), NULL);
    CALL("pread of a pipe", pread(pipe_end, buf, 10, 0), NULL);
    CALL("pread of a closed fd", pread(closed, buf, 10, 0), NULL);
    n = pread64(fd, buf, 4096, 4096);
    report_read("pread64 4096 at 4096", n, errno, buf, 4096, 4096);
    n = __pread_chk(fd, buf, 50, 10, sizeof buf);
    report_read("__pread_chk 50 at 10", n, errno, buf, 50, 10);

    unsigned char a[10], b[3000], c[5000];
    struct iovec iov[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    n = preadv(fd, iov, 3, 10);
    bool right = n == 8010 && matches(a, 10, 10) && matches(b, 3000, 20) && matches(c, 5000, 3020);
    report("preadv 3 buffers at 10", n, errno, right ? "data right" : "DATA WRONG");
    n = preadv64(fd, iov, 3, FILE_BYTES - 20);
    right = n == 20 && matches(a, 10, FILE_BYTES - 20) && matches(b, 10, FILE_BYTES - 10);
    report("preadv64 3 buffers at 20 before the end", n, errno,
           right ? "data right" : "DATA WRONG");
    CALL("preadv with no buffers", preadv(fd, iov, 0, 0), NULL);
    volatile int minus_one = -1; /* a count the compiler does not see */
    CALL("preadv with -1 buffers", preadv(fd, iov, minus_one, 0), NULL);

    lseek(fd, 100, SEEK_SET);
    n = preadv2(fd, iov, 1, -1, 0);
    report_read("preadv2 at the file position 100", n, errno, a, 10, 100);
    printf("file position after it: %ld\n", (long)position(fd));
    CALL("preadv2 at 0 with RWF_NOWAIT (cached)", preadv2(fd, iov, 2, 0, RWF_NOWAIT), NULL);
    CALL("preadv2 with RWF_HIPRI", preadv2(fd, iov, 2, 0, RWF_HIPRI), NULL);
    CALL("preadv2 with an unknown flag", preadv2(fd, iov, 2, 0, 0x40000000), NULL);
    CALL("preadv2 at -2", preadv2(fd, iov, 1, -2, 0), NULL);
    n = read(fd, buf, 5000);
    report_read("read 5000 at the file position", n, errno, buf, 5000, 110);
    lseek(fd, -30, SEEK_END);
    CALL("read 100 at 30 before the end", read(fd, buf, 100), NULL);
    CALL("read at the end", read(fd, buf, 100), NULL);
    printf("file position: %ld\n", (long)position(fd));
}

static void writes(int fd, const char *path, int dir, int pipe_end, int closed)
{
    unsigned char buf[64];
    memset(buf, 'Z', sizeof buf);
    CALL("pwrite 10 at 5000", pwrite(fd, buf, 10, 5000), NULL);
    CALL("pwrite64 10 past the end", pwrite64(fd, buf, 10, FILE_BYTES + 90), NULL);
    printf("size: %ld, file position unchanged: %s\n", (long)size_of(fd),
           yes_no(position(fd) == FILE_BYTES));
    unsigned char back[10];
    printf("pwrite's bytes read back: %s\n",
           yes_no(pread(fd, back, 10, 5000) == 10 && !memcmp(back, buf, 10)));
    struct iovec iov[2] = {{buf, 5}, {buf + 5, 20}};
    CALL("pwritev 2 buffers at 0", pwritev(fd, iov, 2, 0), NULL);
    CALL("pwritev64 2 buffers at 100", pwritev64(fd, iov, 2, 100), NULL);
    CALL("pwritev2 with RWF_DSYNC at 200", pwritev2(fd, iov, 2, 200, RWF_DSYNC), NULL);
    CALL("pwritev2 with RWF_SYNC at the file position", pwritev2(fd, iov, 2, -1, RWF_SYNC), NULL);
    printf("file position: %ld\n", (long)position(fd));
    CALL("pwrite at a negative offset", pwrite(fd, buf, 1, -5), NULL);
    CALL("pwrite to a directory", pwrite(dir, buf, 1, 0), NULL);
    CALL("pwrite to a pipe", pwrite(pipe_end, buf, 1, 0), NULL);
    CALL("pwrite to a closed fd", pwrite(closed, buf, 1, 0), NULL);

    int appending = open(path, O_WRONLY | O_APPEND);
    must_succeed(appending < 0 ? errno : 0, "open O_APPEND");
    off_t before = size_of(fd);
    CALL("pwrite 10 at 0 on an O_APPEND fd", pwrite(appending, buf, 10, 0), NULL);
    printf("it went to the end (Linux ignores the offset): %s\n",
           yes_no(size_of(fd) == before + 10));
    close(appending);

    int syncing = open(path, O_RDWR | O_SYNC);
    must_succeed(syncing < 0 ? errno : 0, "open O_SYNC");
    CALL("write 64 on an O_SYNC fd", write(syncing, buf, sizeof buf), NULL);
    CALL("pwrite 64 on an O_SYNC fd", pwrite(syncing, buf, sizeof buf, 300), NULL);
    close(syncing);
    int dsyncing = open(path, O_WRONLY | O_DSYNC);
    must_succeed(dsyncing < 0 ? errno : 0, "open O_DSYNC");
    CALL("writev on an O_DSYNC fd", writev(dsyncing, iov, 2), NULL);
    close(dsyncing);
    int reading = open(path, O_RDONLY);
    CALL("write on an O_RDONLY fd", write(reading, buf, 1), NULL);
    CALL("pwrite on an O_RDONLY fd", pwrite(reading, buf, 1, 0), NULL);

    CALL("fsync", fsync(fd), NULL);
    CALL("fdatasync", fdatasync(fd), NULL);
    CALL("fsync of a pipe", fsync(pipe_end), NULL);
    CALL("fdatasync of a closed fd", fdatasync(closed), NULL);
    CALL("syncfs", syncfs(fd), NULL);
    CALL("syncfs of a closed fd", syncfs(closed), NULL);
    errno = 0;
    sync();
    printf("sync: errno %s\n", error_name(errno));
    unsigned all = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    CALL("sync_file_range of all, waiting", sync_file_range(fd, 0, 0, all), NULL);
    CALL("sync_file_range with an unknown flag", sync_file_range(fd, 0, 0, 0x100), NULL);
    CALL("sync_file_range of a pipe", sync_file_range(pipe_end, 0, 0, all), NULL);

    CALL("ftruncate to 20000", ftruncate(fd, 20000), NULL);
    printf("size: %ld\n", (long)size_of(fd));
    CALL("ftruncate64 to 16000", ftruncate64(fd, 16000), NULL);
    printf("size: %ld\n", (long)size_of(fd));
    CALL("ftruncate to a negative size", ftruncate(fd, -1), NULL);
    CALL("ftruncate of an O_RDONLY fd", ftruncate(reading, 0), NULL);
    CALL("ftruncate of a closed fd", ftruncate(closed, 0), NULL);
    CALL("fallocate 64 KiB", fallocate(fd, 0, 0, 65536), NULL);
    printf("size: %ld\n", (long)size_of(fd));
    CALL("fallocate with a negative length", fallocate(fd, 0, 0, -1), NULL);
    CALL("fallocate of a pipe", fallocate(pipe_end, 0, 0, 10), NULL);
    errno = 0;
    int pr = posix_fallocate(fd, 0, 100000);
    printf("posix_fallocate 100000: %s, errno untouched: %s\n", error_name(pr), yes_no(errno == 0));
    pr = posix_fallocate(fd, 0, -1);
    printf("posix_fallocate with a negative length: %s, errno untouched: %s\n", error_name(pr),
           yes_no(errno == 0));
    printf("size: %ld\n", (long)size_of(fd));

    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    must_succeed(map == MAP_FAILED ? errno : 0, "mmap");
    map[0] = 'M';
    CALL("msync MS_SYNC", msync(map, 8192, MS_SYNC), NULL);
    CALL("msync MS_ASYNC", msync(map, 8192, MS_ASYNC), NULL);
    CALL("msync MS_SYNC|MS_ASYNC", msync(map, 8192, MS_SYNC | MS_ASYNC), NULL);
    CALL("msync of an unaligned address", msync(map + 1, 100, MS_SYNC), NULL);
    munmap(map, 8192);
    close(reading);
}

/* Drops the file from the page cache and reads all of it in one call. */
static void evicted_read(int fd)
{
    unsigned char *buf = malloc(FILE_BYTES);
    for (size_t i = 0; i < FILE_BYTES; i++)
        buf[i] = pattern(i);
    must_succeed(pwrite(fd, buf, FILE_BYTES, 0) == FILE_BYTES ? 0 : EIO, "pwrite");
    must_succeed(ftruncate(fd, FILE_BYTES), "ftruncate");
    must_succeed(fsync(fd) ? errno : 0, "fsync");
    must_succeed(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), "posix_fadvise");
    memset(buf, 0, FILE_BYTES);
    errno = 0;
    ssize_t n = pread(fd, buf, FILE_BYTES, 0);
    report_read("pread of the whole file dropped from the page cache", n, errno, buf, FILE_BYTES,
                0);
    free(buf);
}

int main(int argc, char **argv)
{
    (void)argc;
    alarm(10);
    char self[4096], path[4200];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(path, sizeof path, "%s/files_rw.%d", dirname(self), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    must_succeed(fd < 0 ? errno : 0, "open");
    int dir = open("/", O_RDONLY | O_DIRECTORY), pipe_fds[2], closed = 999;
    must_succeed(pipe(pipe_fds) ? errno : 0, "pipe");
    must_succeed(fcntl(closed, F_GETFD) < 0 ? 0 : EEXIST, "fd 999 is not open");
    /* Written while alone: under the shim the plain call, which can use no worker before
     * the cached reads below are counted. */
    unsigned char *data = malloc(FILE_BYTES);
    for (size_t i = 0; i < FILE_BYTES; i++)
        data[i] = pattern(i);
    CALL("write of the whole file", write(fd, data, FILE_BYTES), NULL);
    free(data);
    must_succeed(pipe(companion_pipe) ? errno : 0, "pipe");
    pthread_t t = start_thread(NULL, companion, NULL);
    cached_reads(fd, dir, pipe_fds[0], closed);
    report_os_threads("cached-reads");
    evicted_read(fd);
    report_os_threads("evicted-read");
    lseek(fd, 0, SEEK_END);
    writes(fd, path, dir, pipe_fds[1], closed);

    must_succeed(write(companion_pipe[1], "x", 1) == 1 ? 0 : EIO, "write");
    join_or_die(t);
    unlink(path);
    close(fd);
    return 0;
}
