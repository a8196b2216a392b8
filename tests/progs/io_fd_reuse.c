/* A blocked read on an fd number that now names another pipe than the last time a thread
 * waited on it, changed by calls that do not go through close(): dup2 onto it, with the old
 * pipe still open elsewhere.
 *  - dup2 over a waited-on fd: a reader thread waits on fd X (pipe A) and gets a byte;
 *    then dup2(B, X) while A stays open through a dup; a reader waits on X again and must
 *    get pipe B's byte.
 *  - a stale readiness: poll() on X (pipe A) times out, so A was being watched; dup2(B,
 *    X) with A still open; a reader waits on X; a byte written to A (through its write end)
 *    must not end that read (X is B now); the byte then written to B does.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while the reader waits. */
#include "io_util.h"

#include <poll.h>

struct reader {
    int fd;
    char byte;
    ssize_t got;
    bool done; /* atomically set once read returned */
};

static void *read_one(void *arg)
{
    struct reader *r = arg;
    r->got = read(r->fd, &r->byte, 1);
    __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* A reader thread on fd that gets byte, written after it had time to block. */
static void read_through_thread(int fd, int writer, char byte, const char *what)
{
    struct reader r = {.fd = fd};
    pthread_t t = io_start_thread(read_one, &r);
    io_msleep(50);
    io_report_tasks();
    io_write_all(writer, &byte, 1);
    io_join(t);
    printf("%s: read %ld byte '%c'\n", what, (long)r.got, r.got == 1 ? r.byte : '?');
    CHECK(r.got == 1 && r.byte == byte, what);
}

static void dup2_over_a_waited_fd(void)
{
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0, "pipe");
    read_through_thread(a[0], a[1], 'a', "pipe A on fd X");
    int keep_a = dup(a[0]); /* A outlives fd X */
    CHECK(keep_a >= 0, "dup");
    CHECK(dup2(b[0], a[0]) == a[0], "dup2");
    read_through_thread(a[0], b[1], 'b', "after dup2(B, X), pipe B on fd X");
    close(keep_a);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void stale_readiness_of_the_old_pipe(void)
{
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0, "pipe");
    struct pollfd p = {.fd = a[0], .events = POLLIN};
    int n = poll(&p, 1, 20);
    printf("poll on pipe A with nothing in it: %d\n", n);
    CHECK(n == 0, "poll timed out");
    int keep_a = dup(a[0]);
    CHECK(keep_a >= 0, "dup");
    CHECK(dup2(b[0], a[0]) == a[0], "dup2");
    struct reader r = {.fd = a[0]};
    pthread_t t = io_start_thread(read_one, &r);
    io_msleep(50);
    io_write_all(a[1], "x", 1); /* pipe A: not what fd X is now */
    io_msleep(50);
    bool still_blocked = !__atomic_load_n(&r.done, __ATOMIC_ACQUIRE);
    printf("a byte into pipe A leaves the reader of fd X (pipe B) blocked: %s\n",
           still_blocked ? "yes" : "no");
    io_write_all(b[1], "b", 1);
    io_join(t);
    printf("then pipe B's byte: read %ld byte '%c'\n", (long)r.got, r.got == 1 ? r.byte : '?');
    CHECK(still_blocked && r.got == 1 && r.byte == 'b', "read of pipe B");
    char left;
    CHECK(read(keep_a, &left, 1) == 1 && left == 'x', "pipe A kept its byte");
    close(keep_a);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* Keeps a second thread alive, so that the main thread's own poll is a cooperative wait. */
static void *idle_thread(void *arg)
{
    int fd = *(int *)arg;
    char c;
    CHECK(read(fd, &c, 1) == 0, "idle thread's end of file");
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    int idle[2];
    CHECK(pipe(idle) == 0, "pipe");
    pthread_t t = io_start_thread(idle_thread, &idle[0]);
    dup2_over_a_waited_fd();
    stale_readiness_of_the_old_pipe();
    close(idle[1]);
    io_join(t);
    printf("done\n");
    return 0;
}
