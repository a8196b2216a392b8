/* The remaining synchronisation under the shim: semaphores, rwlocks, barriers, once,
 * spinlocks, sched_yield, C11 threads and a C++ program. Each helper program from
 * tests/progs/sync_*.c runs natively and under the shim; stdout must be the same byte for
 * byte (and what the program is known to print), the exit status the same, and at the
 * points where a thread waits while another one ticks (tests/progs/coop.h) the OS thread
 * count it reports must be 1 under the shim. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. POSIX semaphores ---- */

Test(sync, private_semaphores_wait_green_time_out_take_signals_and_strangers, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(
        &pair, "sync_sem", NULL, NULL,
        "sync_sem start\n"
        "sem_wait woken by another thread's post: 0, errno 0, ticks meanwhile: 3, value after: 0\n"
        "sem_timedwait woken by another thread's post: 0, errno 0, ticks meanwhile: 3, value "
        "after: 0\n"
        "sem_clockwait (monotonic) woken by another thread's post: 0, errno 0, ticks meanwhile: "
        "3, value after: 0\n"
        "sem_clockwait (realtime) woken by another thread's post: 0, errno 0, ticks meanwhile: "
        "3, value after: 0\n"
        "sem_timedwait with nobody posting: -1 ETIMEDOUT\n"
        "sem_clockwait (monotonic) with nobody posting: -1 ETIMEDOUT\n"
        "sem_clockwait (realtime) with nobody posting: -1 ETIMEDOUT\n"
        "sem_timedwait with tv_nsec 1e9 and a token there: -1 EINVAL, sem_clockwait on "
        "CLOCK_PROCESS_CPUTIME_ID: -1 EINVAL, token still there: yes\n"
        "sem_timedwait with tv_sec -1: -1 ETIMEDOUT, sem_clockwait with a deadline passed: -1 "
        "ETIMEDOUT, the same with a token there: 0\n"
        "sem_wait, a handler without SA_RESTART ran: -1 EINTR\n"
        "sem_wait, a handler with SA_RESTART ran: 0\n"
        "sem_timedwait, a handler with SA_RESTART ran: -1 EINTR\n"
        "sem_clockwait (monotonic), a handler with SA_RESTART ran: -1 EINTR\n"
        "8 waiters, 8 posts: tokens taken: 8, value after: 0, sem_trywait: -1 EAGAIN\n"
        "sem_post at SEM_VALUE_MAX: -1 EOVERFLOW, value: unchanged\n"
        "a timer thread took this thread's token and posted one back: 0\n"
        "sync_sem done\n",
        0);
    const char *const waits[] = {"sem_wait",
                                 "sem_timedwait",
                                 "sem_clockwait",
                                 "sem_clockwait-realtime",
                                 "timeout",
                                 "sem_wait-signal",
                                 "sem_wait-signal-restart",
                                 "sem_timedwait-signal",
                                 "sem_clockwait-signal"};
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++)
        expect_os_threads(&pair, "sync_sem", waits[i], 2);
    run_pair_free(&pair);
}

/* Named and process-shared semaphores are posted by another process: under the shim the
 * wait runs on a worker of the pool, so while it waits the process has the green threads'
 * OS thread and at least that worker (the pool may have started another for an earlier
 * wait); natively main and the ticker. */
Test(sync, shared_and_named_semaphores_posted_by_a_child_process, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_sem_shared", NULL, NULL,
                    "sync_sem_shared start\n"
                    "named sem_wait, posted by a child process: 0, ticks meanwhile: 3, child "
                    "exit: 0\n"
                    "named sem_timedwait, posted by a child process: 0, ticks meanwhile: 3, "
                    "child exit: 0\n"
                    "named sem_clockwait, posted by a child process: 0, ticks meanwhile: 3, "
                    "child exit: 0\n"
                    "named sem_timedwait with nobody posting: -1 ETIMEDOUT, with tv_nsec -1: -1 "
                    "EINVAL\n"
                    "pshared sem_wait, posted by a child process: 0, ticks meanwhile: 3, child "
                    "exit: 0\n"
                    "pshared sem_timedwait, posted by a child process: 0, ticks meanwhile: 3, "
                    "child exit: 0\n"
                    "pshared sem_timedwait with nobody posting: -1 ETIMEDOUT, with tv_nsec -1: "
                    "-1 EINVAL\n"
                    "sync_sem_shared done\n",
                    0);
    const char *const waits[] = {"named-sem_wait", "named-sem_timedwait", "named-sem_clockwait",
                                 "pshared-sem_wait", "pshared-sem_timedwait"};
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        cr_expect_eq(reported_os_threads(&pair.native, waits[i]), 2, "natively at %s", waits[i]);
        cr_expect_geq(reported_os_threads(&pair.shim, waits[i]), 2,
                      "under the shim at %s: the green threads' OS thread and a worker\n%s",
                      waits[i], pair.shim.err);
    }
    run_pair_free(&pair);
}
