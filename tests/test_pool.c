/* Calls the shim hands to the worker pool as a whole (shim/aio_suspend.c, shim/wordexp.c,
 * shim/sync.c) and dprintf, natively and under the shim: same results, and under the shim
 * one OS thread runs the program's threads while the call waits on a worker. */
#include "harness.h"

#include <criterion/criterion.h>

Test(pool, waits_that_another_thread_ends_work_green, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "pool_calls", NULL, NULL,
                    "dprintf into a full pipe: 10, reader ran first: yes, every byte arrived: yes\n"
                    "aio_suspend: 0, writer ran first: yes, read: 3 \"abc\"\n"
                    "aio_suspend with nothing to read: -1 EAGAIN\n"
                    "lio_listio(LIO_WAIT): 0, writer ran first: yes, read: 2 \"ab\"\n"
                    "wordexp with a command reading a pipe: 0, writer ran first: yes, "
                    "words: 1 \"xabcy\"\n"
                    "wordexp with a bad command: WRDE_SYNTAX\n"
                    "sync returned, syncfs: 0\n"
                    "syncfs(-1): -1 EBADF\n",
                    0);
    /* glibc's AIO threads are OS threads of the process under the shim too: only the count
     * while dprintf waits (no AIO yet) is the green threads' alone. */
    expect_os_threads(&pair, "pool_calls", "dprintf", 2);
    run_pair_free(&pair);
}
