/* A FIFO (mkfifo in a temporary directory) opened by two threads of one process. Opening a
 * FIFO without O_NONBLOCK blocks until the other end is opened, so each open() waits for the
 * other thread: once with the reader opening first, once with the writer opening first.
 * The writer sends lines and closes; the reader reads until EOF and must get them all.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while both ends are open. */
#include "io_util.h"

#include <signal.h>
#include <sys/stat.h>

#define LINES 200
#define LINE_LEN 16 /* "line 00000 ....\n" */

struct fifo_run {
    const char *path;
    int late_ms;          /* how long the second opener waits before its open() */
    bool writer_is_late;  /* which side opens second */
    size_t received;
    bool content_ok;
};

static void format_line(char out[LINE_LEN + 1], int i)
{
    snprintf(out, LINE_LEN + 1, "line %05d ....\n", i);
}

static void *fifo_writer(void *arg)
{
    struct fifo_run *run = arg;
    if (run->writer_is_late)
        io_msleep(run->late_ms);
    int fd = open(run->path, O_WRONLY);
    CHECK(fd >= 0, "open fifo for writing");
    for (int i = 0; i < LINES; i++) {
        char line[LINE_LEN + 1];
        format_line(line, i);
        io_write_all(fd, line, LINE_LEN);
    }
    close(fd);
    return NULL;
}

static void *fifo_reader(void *arg)
{
    struct fifo_run *run = arg;
    if (!run->writer_is_late)
        io_msleep(run->late_ms);
    int fd = open(run->path, O_RDONLY);
    CHECK(fd >= 0, "open fifo for reading");
    io_report_tasks(); /* main (in join) and this reader at least */
    run->content_ok = true;
    char line[LINE_LEN], want[LINE_LEN + 1];
    size_t got;
    while ((got = io_read_full(fd, line, LINE_LEN)) == LINE_LEN) {
        format_line(want, (int)(run->received / LINE_LEN));
        if (memcmp(line, want, LINE_LEN) != 0)
            run->content_ok = false;
        run->received += LINE_LEN;
    }
    run->received += got;
    close(fd);
    return NULL;
}

static void run_fifo(const char *path, bool writer_is_late)
{
    struct fifo_run run = {.path = path, .late_ms = 50, .writer_is_late = writer_is_late};
    pthread_t r = io_start_thread(fifo_reader, &run);
    pthread_t w = io_start_thread(fifo_writer, &run);
    io_join(w);
    io_join(r);
    printf("fifo, %s opens first: reader got %zu of %d bytes, content %s\n",
           writer_is_late ? "reader" : "writer", run.received, LINES * LINE_LEN,
           run.content_ok ? "correct" : "WRONG");
    CHECK(run.received == LINES * LINE_LEN && run.content_ok, "fifo transfer");
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
