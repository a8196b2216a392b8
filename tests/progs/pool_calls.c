/* Calls that wait for something only another thread of the process provides, each with a
 * ticker thread (coop.h) that provides it after ticking: dprintf into a full pipe,
 * aio_suspend and lio_listio(LIO_WAIT) on a read from a pipe, wordexp running a command
 * that reads a pipe; and sync/syncfs, which just have to return as natively. */
#include "coop.h"

#include <aio.h>
#include <fcntl.h>
#include <wordexp.h>

static int pipe_fds[2];

static void make_pipe(void)
{
    must_succeed(pipe(pipe_fds) ? errno : 0, "pipe");
}

static void close_pipe(void)
{
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void write_abc(void *unused)
{
    (void)unused;
    if (write(pipe_fds[1], "abc", 3) != 3)
        exit(1);
}

/* Fills the pipe so that the next write waits for a reader. */
static size_t fill_pipe(void)
{
    int flags = fcntl(pipe_fds[1], F_GETFL);
    fcntl(pipe_fds[1], F_SETFL, flags | O_NONBLOCK);
    static char block[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = write(pipe_fds[1], block, sizeof block)) > 0)
        total += (size_t)n;
    fcntl(pipe_fds[1], F_SETFL, flags);
    return total;
}

static size_t drained;

static void drain_pipe(void *unused)
{
    (void)unused;
    static char block[65536];
    ssize_t n;
    while ((n = read(pipe_fds[0], block, sizeof block)) > 0) {
        drained += (size_t)n;
        if (memchr(block, '\n', (size_t)n))
            break;
    }
}

static void dprintf_into_a_full_pipe(void)
{
    make_pipe();
    size_t filled = fill_pipe();
    struct coop_ticker t;
    coop_start(&t, "dprintf", drain_pipe, NULL);
    int r = dprintf(pipe_fds[1], "%s %d\n", "waited", 42);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("dprintf into a full pipe: %d, reader ran first: %s, every byte arrived: %s\n", r,
           yes_no(ticks == COOP_TICKS), yes_no(drained == filled + 10));
    close_pipe();
}

static void aio_calls(void)
{
    make_pipe();
    char buf[8] = {0};
    struct aiocb cb = {.aio_fildes = pipe_fds[0], .aio_buf = buf, .aio_nbytes = 3};
    must_succeed(aio_read(&cb) ? errno : 0, "aio_read");
    struct coop_ticker t;
    coop_start(&t, "aio_suspend", write_abc, NULL);
    const struct aiocb *list[] = {&cb};
    int r = aio_suspend(list, 1, NULL);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("aio_suspend: %d, writer ran first: %s, read: %zd \"%s\"\n", r,
           yes_no(ticks == COOP_TICKS), aio_return(&cb), buf);

    struct timespec short_wait = {.tv_nsec = 10000000};
    struct aiocb idle = {.aio_fildes = pipe_fds[0], .aio_buf = buf, .aio_nbytes = 3};
    must_succeed(aio_read(&idle) ? errno : 0, "aio_read");
    const struct aiocb *idle_list[] = {&idle};
    r = aio_suspend(idle_list, 1, &short_wait);
    printf("aio_suspend with nothing to read: %d %s\n", r, error_name(r ? errno : 0));
    write_abc(NULL);
    aio_suspend(idle_list, 1, NULL);
    aio_return(&idle);

    memset(buf, 0, sizeof buf);
    struct aiocb lcb = {.aio_fildes = pipe_fds[0], .aio_buf = buf, .aio_nbytes = 2,
                        .aio_lio_opcode = LIO_READ};
    struct aiocb *llist[] = {&lcb};
    coop_start(&t, "lio_listio", write_abc, NULL);
    r = lio_listio(LIO_WAIT, llist, 1, NULL);
    ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("lio_listio(LIO_WAIT): %d, writer ran first: %s, read: %zd \"%s\"\n", r,
           yes_no(ticks == COOP_TICKS), aio_return(&lcb), buf);
    close_pipe();
}

static void wordexp_waiting_for_a_pipe(void)
{
    make_pipe();
    char words[64];
    snprintf(words, sizeof words, "x$(head -c 3 <&%d)y", pipe_fds[0]);
    wordexp_t we;
    struct coop_ticker t;
    coop_start(&t, "wordexp", write_abc, NULL);
    int r = wordexp(words, &we, 0);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("wordexp with a command reading a pipe: %d, writer ran first: %s, words: %zu \"%s\"\n",
           r, yes_no(ticks == COOP_TICKS), r ? 0 : we.we_wordc, r ? "" : we.we_wordv[0]);
    if (r == 0)
        wordfree(&we);
    r = wordexp("$(true", &we, 0);
    printf("wordexp with a bad command: %s\n", r == WRDE_SYNTAX ? "WRDE_SYNTAX" : "other");
    close_pipe();
}

static void sync_calls(void)
{
    sync();
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    int r = syncfs(fd);
    printf("sync returned, syncfs: %d\n", r);
    close(fd);
    r = syncfs(-1);
    printf("syncfs(-1): %d %s\n", r, error_name(r ? errno : 0));
}

int main(void)
{
    alarm(20);
    dprintf_into_a_full_pipe();
    aio_calls();
    wordexp_waiting_for_a_pipe();
    /* A thread that is just alive, so that sync and syncfs meet another thread. */
    struct coop_ticker t;
    coop_start(&t, "sync", NULL, NULL);
    sync_calls();
    coop_finish(&t);
    return 0;
}
