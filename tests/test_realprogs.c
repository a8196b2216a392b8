/* What running real programs under the shim found, each reduced to a test: the helper
 * programs (tests/progs/realprogs_*.c) and, where the program itself is small enough to run
 * in a test, the program (Debian's /usr/bin/python3, which scripts/setup installs). Each runs
 * natively and under the shim: stdout must be what the test expects, byte for byte, both
 * times, and the OS thread count must be 1 under the shim. */
#include "harness.h"

#include <criterion/criterion.h>

/* Loops on calls that answer "not yet" at once end: the thread they wait for gets its turn.
 * (Python's time.sleep(0) loops hung so, as did its multiprocessing pool, below.) */
static const char try_loops_out[] =
    "poll with a zero timeout until the ticker writes: 1\n"
    "select with a zero timeout until the ticker writes: 1\n"
    "epoll_wait with a zero timeout until the ticker writes: 1\n"
    "read O_NONBLOCK until the ticker writes: 1 'x'\n"
    "recv MSG_DONTWAIT until the ticker writes: 1 'x'\n"
    "pthread_mutex_trylock until the holder releases it: 0\n"
    "pthread_mutex_timedlock, its time up until the holder releases it: 0\n"
    "pthread_rwlock_trywrlock until the holder releases it: 0\n"
    "pthread_spin_trylock until the holder releases it: 0\n"
    "sem_trywait until the ticker posts: 0\n"
    "usleep(0) in a loop until the ticker sets a flag: set\n"
    "nanosleep(0) in a loop until the ticker sets a flag: set\n"
    "sleep(0) in a loop until the ticker sets a flag: set\n"
    "clock_nanosleep(TIMER_ABSTIME, now) in a loop until the ticker sets a flag: set\n"
    "pthread_tryjoin_np until the thread returns: 0, returned\n"
    "waitpid WNOHANG until the child, woken by the ticker, exits: the child, status 7\n"
    "done\n";

Test(realprogs, loops_on_calls_that_answer_not_yet_let_the_awaited_thread_run, .timeout = 40)
{
    static const char *const where[] = {
        "poll", "select", "epoll_wait", "nonblock", "dontwait", "pthread_mutex_trylock",
        "pthread_mutex_timedlock, its time up", "pthread_rwlock_trywrlock",
        "pthread_spin_trylock", "sem_trywait", "usleep(0)", "nanosleep(0)", "sleep(0)",
        "clock_nanosleep(TIMER_ABSTIME, now)", "tryjoin", "waitpid", NULL,
    };
    struct run_pair pair;
    run_both_expect(&pair, "realprogs_try_loops", NULL, NULL, try_loops_out, 0);
    /* Natively the main thread and the one it waits for, each time. */
    expect_os_threads_at(&pair, "realprogs_try_loops", where, 2);
    run_pair_free(&pair);
}

/* Python's multiprocessing pool (fork), whose workers start threads: the pool's
 * worker-handler thread loops on a poll with a zero timeout and waitpid WNOHANG while its
 * result-handler thread waits to read the results; it hung until "not yet" yielded. */
static const char pool_script[] =
    "import multiprocessing as mp, os, sys, threading\n"
    "def work(n):\n"
    "    out = []\n"
    "    lock = threading.Lock()\n"
    "    def add(i):\n"
    "        with lock:\n"
    "            out.append(n * i)\n"
    "    ts = [threading.Thread(target=add, args=(i,)) for i in range(4)]\n"
    "    for t in ts: t.start()\n"
    "    for t in ts: t.join()\n"
    "    return sum(out)\n"
    "if __name__ == '__main__':\n"
    "    with mp.get_context('fork').Pool(4) as pool:\n"
    "        print(pool.map(work, range(8)))\n"
    "        print('os-threads pool: %d' % len(os.listdir('/proc/self/task')), file=sys.stderr)\n"
    "    print('done')\n";

Test(realprogs, python_multiprocessing_pool_of_processes_running_threads, .timeout = 40)
{
    static const char python[] = "/usr/bin/python3";
    const char *const args[] = {"-c", pool_script, NULL};
    struct run_pair pair;
    run_both_expect(&pair, python, args, NULL, "[0, 6, 12, 18, 24, 30, 36, 42]\ndone\n", 0);
    expect_os_threads(&pair, python, "pool", SEVERAL);
    run_pair_free(&pair);
}
