/* A FIFO (mkfifo in a temporary directory) shared by two threads of one process, with
 * blocking read() and write() on both ends:
 *  - a writer thread sends a short chunk, then 256 KiB in one write(), four times the default
 *    pipe capacity: the write must return the full count;
 *  - a reader thread reads in small chunks until EOF, which must come when the writer closes
 *    its end, and must get every byte in order;
 *  - afterwards neither end shows O_NONBLOCK in fcntl(F_GETFL).
 * This runs twice: once with the reader waiting on the empty FIFO first, once with the writer
 * filling it first.
 * main opens both ends before it starts the threads, in the order that never waits: the read
 * end with O_NONBLOCK (which succeeds without a writer), then the write end with O_WRONLY
 * (which succeeds because there is a reader), then it clears O_NONBLOCK on the read end, so
 * both are plain blocking fds. A blocking open() of a FIFO waits for the other end to be
 * opened, and open() is not cooperative under the shim yet (a later issue sends such opens
 * to the worker pool): an open() in a thread would block the only OS thread.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while both threads are alive. */
#include "io_util.h"

#include <signal.h>
#include <sys/stat.h>

#define SMALL_WRITE 100
#define BIG_WRITE (256 * 1024)
#define TOTAL_BYTES (SMALL_WRITE + BIG_WRITE)
#define READ_CHUNK 1000
#define LATE_START_MS 50

struct fifo_run {
    int read_fd;
    int write_fd;
    bool writer_is_late;      /* which thread starts its I/O second */
    ssize_t big_written;      /* what the single big write() returned */
    size_t received;          /* bytes the reader got before EOF */
    bool in_order;
    bool read_end_nonblocking;
    bool write_end_nonblocking;
};

static void *fifo_writer(void *arg)
{
    struct fifo_run *run = arg;
    unsigned char *buf = malloc(TOTAL_BYTES);
    CHECK(buf != NULL, "malloc");
    io_fill_pattern(buf, TOTAL_BYTES, 0);
    if (run->writer_is_late)
        io_msleep(LATE_START_MS);
    io_write_all(run->write_fd, buf, SMALL_WRITE);
    run->big_written = write(run->write_fd, buf + SMALL_WRITE, BIG_WRITE);
    CHECK(run->big_written >= 0, "big write to the fifo");
    run->write_end_nonblocking = io_is_nonblocking(run->write_fd);
    close(run->write_fd); /* the reader's EOF */
    free(buf);
    return NULL;
}

static void *fifo_reader(void *arg)
{
    struct fifo_run *run = arg;
    if (!run->writer_is_late)
        io_msleep(LATE_START_MS);
    unsigned char chunk[READ_CHUNK];
    run->in_order = true;
    ssize_t n;
    while ((n = read(run->read_fd, chunk, sizeof chunk)) > 0) {
        if (run->received == 0)
            io_report_tasks(); /* main (in join), the writer (in write) and this reader */
        if (!io_check_pattern(chunk, (size_t)n, run->received))
            run->in_order = false;
        run->received += (size_t)n;
    }
    CHECK(n == 0, "read from the fifo");
    run->read_end_nonblocking = io_is_nonblocking(run->read_fd);
    close(run->read_fd);
    return NULL;
}

/* Both ends of the FIFO at path, opened without waiting for another thread, as blocking fds. */
static void open_both_ends(const char *path, struct fifo_run *run)
{
    run->read_fd = open(path, O_RDONLY | O_NONBLOCK);
    CHECK(run->read_fd >= 0, "open fifo for reading, O_NONBLOCK");
    run->write_fd = open(path, O_WRONLY);
    CHECK(run->write_fd >= 0, "open fifo for writing");
    io_set_nonblocking(run->read_fd, false);
}

static void run_fifo(const char *path, bool writer_is_late)
{
    struct fifo_run run = {.writer_is_late = writer_is_late};
    open_both_ends(path, &run);
    pthread_t r = io_start_thread(fifo_reader, &run);
    pthread_t w = io_start_thread(fifo_writer, &run);
    io_join(w);
    io_join(r);
    printf("fifo, %s: write() of %d returned %zd, reader got %zu of %d bytes, in order: %s, "
           "O_NONBLOCK on the read end: %s, on the write end: %s\n",
           writer_is_late ? "reader waits first" : "writer fills it first", BIG_WRITE,
           run.big_written, run.received, TOTAL_BYTES, run.in_order ? "yes" : "no",
           run.read_end_nonblocking ? "yes" : "no", run.write_end_nonblocking ? "yes" : "no");
    CHECK(run.big_written == BIG_WRITE && run.received == TOTAL_BYTES && run.in_order &&
              !run.read_end_nonblocking && !run.write_end_nonblocking,
          "fifo transfer");
}

static char fifo_dir[] = "/tmp/io_fifo.XXXXXX";
static char fifo_path[sizeof fifo_dir + 8];

/* A hang ends with the safety alarm; the temporary FIFO goes first, then the process dies
 * of SIGALRM as it would have. */
static void remove_fifo_and_die(int sig)
{
    unlink(fifo_path);
    rmdir(fifo_dir);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(void)
{
    CHECK(mkdtemp(fifo_dir) != NULL, "mkdtemp");
    snprintf(fifo_path, sizeof fifo_path, "%s/fifo", fifo_dir);
    CHECK(mkfifo(fifo_path, 0600) == 0, "mkfifo");
    signal(SIGALRM, remove_fifo_and_die);
    alarm(IO_SAFETY_ALARM_S);
    run_fifo(fifo_path, true);
    run_fifo(fifo_path, false);
    unlink(fifo_path);
    rmdir(fifo_dir);
    printf("done\n");
    return 0;
}
