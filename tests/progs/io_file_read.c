/* A read of a regular file returns the whole request natively (short only at end of file).
 * Under the shim the first attempt reads without blocking (RWF_NOWAIT), which stops where
 * the page cache ends: the rest must still come. The file is written, synced, dropped from
 * the page cache but for its first pages, then read in one call while another thread is
 * alive. The file lives beside the program (a disk-backed file system: tmpfs pages cannot
 * be dropped). With IO_REPORT_TASKS=1 it reports the OS thread count. */
#include "io_util.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

enum { FILE_SIZE = 8 << 20 };

static void *idle(void *arg)
{
    (void)arg;
    usleep(200000);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[4096], path[4200];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(path, sizeof path, "%s/io_file_read.%d", dirname(self), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open");
    unlink(path);
    char *data = malloc(FILE_SIZE), *back = malloc(FILE_SIZE);
    for (size_t i = 0; i < FILE_SIZE; i++)
        data[i] = (char)(i * 131 + i / 4096);
    CHECK(write(fd, data, FILE_SIZE) == FILE_SIZE, "write");
    CHECK(fsync(fd) == 0, "fsync");
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0, "fadvise");
    CHECK(pread(fd, back, 16384, 0) == 16384, "pread of the first pages");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");

    pthread_t t = io_start_thread(idle, NULL);
    io_report_tasks();
    ssize_t r = read(fd, back, FILE_SIZE);
    printf("read of the whole file in one call returned all of it: %s\n",
           r == FILE_SIZE ? "yes" : "no");
    printf("and the bytes are right: %s\n",
           r == FILE_SIZE && !memcmp(data, back, FILE_SIZE) ? "yes" : "no");
    io_join(t);
    close(fd);
    printf("done\n");
    return 0;
}
