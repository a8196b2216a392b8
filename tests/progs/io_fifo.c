/* A FIFO (mkfifo in a temporary directory) shared by two threads of one process, with
 * blocking read() and write() on both ends:
 *  - a writer thread sends a short chunk, then 256 KiB in one write(), four times the default
 *    pipe capacity: the write must return the full count;
 *  - a reader thread reads in small chunks until EOF, which must come when the writer closes
 *    its end, and must get every byte in order;
 *  - afterwards neither end shows O_NONBLOCK in fcntl(F_GETFL).
 * This runs twice: once with the reader waiting on the empty FIFO first, once with the writer
 * filling it first.
 * Then a writev of 12 small iovecs (two empty ones first, 120 bytes in all) to the FIFO, on
 * which a reader already waits in one readv of 4096 bytes, also in 12 iovecs (eleven of 10
 * bytes, then the rest): a write of no more than PIPE_BUF bytes to a pipe is atomic, and a
 * readv fills its iovecs in turn, so that one readv gets all 120 bytes in order. The reader
 * is a thread, then a child process (forked by a thread, which collects its result): only a
 * reader that runs while the writev is under way would see it arrive in two pieces.
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
#include <sys/uio.h>
#include <sys/wait.h>

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
static void open_both_ends(const char *path, int *read_fd, int *write_fd)
{
    *read_fd = open(path, O_RDONLY | O_NONBLOCK);
    CHECK(*read_fd >= 0, "open fifo for reading, O_NONBLOCK");
    *write_fd = open(path, O_WRONLY);
    CHECK(*write_fd >= 0, "open fifo for writing");
    io_set_nonblocking(*read_fd, false);
}

static void run_fifo(const char *path, bool writer_is_late)
{
    struct fifo_run run = {.writer_is_late = writer_is_late};
    open_both_ends(path, &run.read_fd, &run.write_fd);
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

#define WRITEV_EMPTY 2   /* zero-length iovecs at the front */
#define WRITEV_FULL 10   /* iovecs of WRITEV_PIECE bytes after them */
#define WRITEV_PIECE 12
#define WRITEV_TOTAL (WRITEV_FULL * WRITEV_PIECE)
#define READV_SMALL 11   /* iovecs of READV_PIECE bytes, then one for the rest of the buffer */
#define READV_PIECE 10
#define READER_WAITS_MS 200 /* the reader is blocked on the empty FIFO by then */

struct one_readv {
    int fd;
    ssize_t got;
    unsigned char buf[4096];
};

static void *readv_once(void *arg)
{
    struct one_readv *r = arg;
    struct iovec iov[READV_SMALL + 1];
    for (int i = 0; i < READV_SMALL; i++)
        iov[i] = (struct iovec){r->buf + i * READV_PIECE, READV_PIECE};
    iov[READV_SMALL] = (struct iovec){r->buf + READV_SMALL * READV_PIECE,
                                      sizeof r->buf - READV_SMALL * READV_PIECE};
    r->got = readv(r->fd, iov, READV_SMALL + 1);
    CHECK(r->got >= 0, "readv from the fifo");
    return NULL;
}

/* The readv of readv_once, made by a child process; the calling thread waits for its result
 * (the whole struct, through a pipe), then reaps it. */
static void *readv_in_a_child(void *arg)
{
    struct one_readv *r = arg;
    int report[2];
    CHECK(pipe(report) == 0, "pipe");
    fflush(stdout); /* or the child would print the parent's buffered lines again */
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        readv_once(r);
        io_write_all(report[1], r, sizeof *r);
        _exit(0);
    }
    close(report[1]);
    CHECK(io_read_full(report[0], r, sizeof *r) == sizeof *r, "the child's readv result");
    close(report[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the reading child's exit");
    return NULL;
}

static void run_fifo_writev(const char *path, void *(*reader_fn)(void *), const char *reader_is)
{
    int read_fd, write_fd;
    open_both_ends(path, &read_fd, &write_fd);
    struct one_readv reader = {.fd = read_fd};
    pthread_t r = io_start_thread(reader_fn, &reader);
    io_msleep(READER_WAITS_MS);

    unsigned char data[WRITEV_TOTAL];
    io_fill_pattern(data, sizeof data, 0);
    struct iovec iov[WRITEV_EMPTY + WRITEV_FULL] = {{0}};
    for (int i = 0; i < WRITEV_FULL; i++)
        iov[WRITEV_EMPTY + i] = (struct iovec){data + i * WRITEV_PIECE, WRITEV_PIECE};
    ssize_t written = writev(write_fd, iov, WRITEV_EMPTY + WRITEV_FULL);
    CHECK(written >= 0, "writev to the fifo");
    io_join(r);
    bool in_order = reader.got > 0 && io_check_pattern(reader.buf, (size_t)reader.got, 0);
    printf("fifo, writev of %d iovecs (%d empty first), %d bytes: returned %zd; %s waiting "
           "in one readv of %zu got %zd, in order: %s\n",
           WRITEV_EMPTY + WRITEV_FULL, WRITEV_EMPTY, WRITEV_TOTAL, written, reader_is,
           sizeof reader.buf, reader.got, in_order ? "yes" : "no");
    CHECK(written == WRITEV_TOTAL && reader.got == WRITEV_TOTAL && in_order,
          "writev arrives as one piece");
    close(read_fd);
    close(write_fd);
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
    run_fifo_writev(fifo_path, readv_once, "a thread");
    run_fifo_writev(fifo_path, readv_in_a_child, "a child process");
    unlink(fifo_path);
    rmdir(fifo_dir);
    printf("done\n");
    return 0;
}
