/* POSIX asynchronous I/O: glibc carries a request out on a helper thread of its own, and
 * aio_suspend waits for it. A read request on an empty pipe completes only when the ticker
 * thread (coop.h), after ticking, writes to the pipe; under the shim the main thread's wait
 * must let the ticker, a green thread of the same OS thread, run. Then the waits that end
 * without a completion (a timeout, a zero timeout) and one that finds its request done,
 * through aio_suspend and aio_suspend64, with what they return compared with the native
 * run. */
#include "coop.h"

#include <aio.h>

static int fds[2];

static void write_data(void *unused)
{
    (void)unused;
    must_succeed(write(fds[1], "abc", 3) == 3 ? 0 : EIO, "write");
}

static void print_result(const char *what, int r)
{
    printf("%s: %s\n", what, r ? error_name(errno) : "0");
}

int main(void)
{
    alarm(10);
    must_succeed(pipe(fds) ? errno : 0, "pipe");
    char buf[16] = "";
    struct aiocb cb = {.aio_fildes = fds[0], .aio_buf = buf, .aio_nbytes = sizeof buf};
    const struct aiocb *list[] = {&cb};
    must_succeed(aio_read(&cb) ? errno : 0, "aio_read");

    struct timespec zero = {0, 0}, short_wait = {0, 20000000};
    print_result("aio_suspend with a zero timeout, nothing done", aio_suspend(list, 1, &zero));
    print_result("aio_suspend with a 20 ms timeout, nothing done", aio_suspend(list, 1, &short_wait));
    struct coop_ticker ticker;
    coop_start(&ticker, "aio_suspend", write_data, NULL);
    int r = aio_suspend(list, 1, NULL);
    int err = errno, ticks = coop_ticks(&ticker);
    coop_finish(&ticker);
    errno = err;
    print_result("aio_suspend", r);
    printf("aio_suspend waited while the other thread ticked %d times\n", ticks);
    printf("aio_error: %s, aio_return: %zd, data \"%s\"\n", error_name(aio_error(&cb)),
           aio_return(&cb), buf);

    struct aiocb64 cb64 = {.aio_fildes = fds[0], .aio_buf = buf, .aio_nbytes = sizeof buf};
    const struct aiocb64 *list64[] = {&cb64};
    must_succeed(aio_read64(&cb64) ? errno : 0, "aio_read64");
    print_result("aio_suspend64 with a 20 ms timeout, nothing done",
                 aio_suspend64(list64, 1, &short_wait));
    coop_start(&ticker, "aio_suspend64", write_data, NULL);
    r = aio_suspend64(list64, 1, NULL);
    err = errno, ticks = coop_ticks(&ticker);
    coop_finish(&ticker);
    errno = err;
    print_result("aio_suspend64", r);
    printf("aio_suspend64 waited while the other thread ticked %d times\n", ticks);
    printf("aio_return: %zd\n", aio_return64(&cb64));
    print_result("aio_suspend of a request already returned", aio_suspend(list, 1, &short_wait));
    const struct aiocb *none[] = {NULL};
    print_result("aio_suspend of a list of NULL", aio_suspend(none, 1, &short_wait));
    return 0;
}
