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
#include <unistd.h>

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
        "a signal handler's sem_post woke the waiting thread: yes, its sem_wait: 0\n"
        "a timer thread took this thread's token and posted one back: 0\n"
        "sync_sem done\n",
        0);
    const char *const waits[] = {"sem_wait", "sem_timedwait", "sem_clockwait",
                                 "sem_clockwait-realtime", "timeout", "sem_wait-signal",
                                 "sem_wait-signal-restart", "sem_timedwait-signal",
                                 "sem_clockwait-signal", NULL};
    expect_os_threads_at(&pair, "sync_sem", waits, 2);
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
                    "named sem_clockwait (monotonic), posted by a child process: 0, ticks "
                    "meanwhile: 3, child exit: 0\n"
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

/* ---- 2. read-write locks ---- */

Test(sync, rwlocks_wait_green_report_deadlocks_prefer_writers_and_mix_with_strangers, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_rwlock", NULL, NULL,
        "sync_rwlock start\n"
        "pthread_rwlock_rdlock while another thread holds it for writing: 0, ticks meanwhile: 3, "
        "main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_wrlock while another thread holds it for reading: 0, ticks meanwhile: 3, "
        "main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_wrlock while another thread holds it for writing: 0, ticks meanwhile: 3, "
        "main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_timedrdlock while another thread holds it for writing: 0, ticks "
        "meanwhile: 3, main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_timedwrlock while another thread holds it for reading: 0, ticks "
        "meanwhile: 3, main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_clockrdlock while another thread holds it for writing: 0, ticks "
        "meanwhile: 3, main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_clockwrlock while another thread holds it for writing: 0, ticks "
        "meanwhile: 3, main's trywrlock while it holds it: EBUSY\n"
        "pthread_rwlock_timedrdlock while another thread holds it for writing: ETIMEDOUT; on the "
        "free lock with a deadline passed: 0\n"
        "pthread_rwlock_timedwrlock while another thread holds it for writing: ETIMEDOUT; on the "
        "free lock with a deadline passed: 0\n"
        "pthread_rwlock_clockrdlock while another thread holds it for writing: ETIMEDOUT; on the "
        "free lock with a deadline passed: 0\n"
        "pthread_rwlock_clockwrlock while another thread holds it for writing: ETIMEDOUT; on the "
        "free lock with a deadline passed: 0\n"
        "on a free lock: timedrdlock with tv_nsec 1e9: EINVAL, timedwrlock with tv_nsec 1e9: "
        "EINVAL, clockrdlock on CLOCK_PROCESS_CPUTIME_ID: EINVAL, clockwrlock on "
        "CLOCK_THREAD_CPUTIME_ID: EINVAL, still free: yes\n"
        "main holds it for writing: rdlock EDEADLK, wrlock EDEADLK, timedrdlock EDEADLK, "
        "timedwrlock EDEADLK, clockwrlock EDEADLK, tryrdlock EBUSY, trywrlock EBUSY\n"
        "main's unlock: 0, main reads twice, then unlocks: 0 0, free: yes\n"
        "a second thread holds it for writing: rdlock EDEADLK, wrlock EDEADLK, timedrdlock "
        "EDEADLK, timedwrlock EDEADLK, clockwrlock EDEADLK, tryrdlock EBUSY, trywrlock EBUSY\n"
        "while the second thread writes, main: trywrlock EBUSY, tryrdlock EBUSY, timedwrlock "
        "ETIMEDOUT\n"
        "the second thread's unlock: 0, it then reads: 0, and its unlock: 0\n"
        "default rwlock: 3 readers inside at once: yes, writers' count: 15 of 15, overlaps: 0\n"
        "writer-preferring rwlock: 3 readers inside at once: yes, writers' count: 15 of 15, "
        "overlaps: 0\n"
        "default rwlock: a reader's tryrdlock while a writer waits: 0, then who got it first, "
        "the waiting writer or a later reader: the reader\n"
        "writer-preferring rwlock: a reader's tryrdlock while a writer waits: EBUSY, then who "
        "got it first, the waiting writer or a later reader: the writer\n"
        "rdlock while a timer thread writes: 0; main wrote, unlocked (0), and the timer thread's "
        "wrlock then got it: 0\n"
        "sync_rwlock done\n",
        0);
    const char *const waits[] = {"rdlock",      "wrlock-reader", "wrlock",      "timedrdlock",
                                 "timedwrlock", "clockrdlock",   "clockwrlock", "timeout",
                                 NULL};
    expect_os_threads_at(&pair, "sync_rwlock", waits, 3);
    run_pair_free(&pair);
}

/* ---- 3. barriers ---- */

Test(sync, barriers_serial_thread_rounds_destroy_and_a_stranger, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_barrier", NULL, NULL,
        "sync_barrier start\n"
        "pthread_barrier_wait until the ticker came: main 0, ticker serial, ticks meanwhile: 3\n"
        "4 threads, 50 rounds: one serial thread per round: yes, in step: yes\n"
        "threads arriving in turn get: 0 0 0 serial; the serial one destroys the barrier at "
        "once: 0\n"
        "a barrier of one: serial serial\n"
        "with a timer thread as the second thread: main 0, timer thread serial\n"
        "sync_barrier done\n",
        0);
    expect_os_threads(&pair, "sync_barrier", "barrier", 2);
    run_pair_free(&pair);
}

/* ---- 4. once, spinlocks, sched_yield ---- */

Test(sync, once_waits_green_for_a_blocking_routine_spinlocks_and_sched_yield_let_others_run,
     .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_once_spin", NULL, NULL,
        "sync_once_spin start\n"
        "pthread_once while another thread runs the routine: 0, returned after the routine "
        "finished: yes, ticks meanwhile: 3, runs: 1\n"
        "three threads call pthread_once while the routine sleeps: runs: 1, returned after it "
        "finished: 3, a later call: 0\n"
        "pthread_spin_lock while another thread holds it: 0 (trylock: EBUSY), ticks meanwhile: 3\n"
        "4 threads counting 500 times under a spinlock: 2000\n"
        "sched_yield until another thread sets a flag: 0, flag set: yes, ticks meanwhile: 3\n"
        "sync_once_spin done\n",
        0);
    const char *const three[] = {"pthread_once", "pthread_spin_lock", NULL};
    expect_os_threads_at(&pair, "sync_once_spin", three, 3);
    expect_os_threads(&pair, "sync_once_spin", "sched_yield", 2);
    run_pair_free(&pair);
}

/* ---- 5. C11 threads ---- */

Test(sync, c11_threads_mutexes_conditions_once_and_sleeps_go_green, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_c11", NULL, NULL,
        "sync_c11 start\n"
        "thrd_create: thrd_success, thrd_join: thrd_success, result 42, thrd_current in the "
        "thread was its thrd_t: yes\n"
        "a negative result: -7, thrd_exit's: -123456, main's thrd_current equals itself: yes\n"
        "thrd_detach: thrd_success, thrd_join of the detached thread: thrd_error\n"
        "thrd_join until the thread ended: thrd_success, result 5, ticks meanwhile: 3\n"
        "cnd_wait until signalled: thrd_success, ticks meanwhile: 3\n"
        "cnd_timedwait until signalled: thrd_success, ticks meanwhile: 3, with nobody "
        "signalling: thrd_timedout, the mutex held after: yes\n"
        "cnd_broadcast: thrd_success, waiters woken: 3 of 3\n"
        "mtx_lock while another thread holds it: thrd_success (mtx_trylock: thrd_busy), ticks "
        "meanwhile: 3\n"
        "mtx_timedlock while another thread holds it: thrd_success (mtx_trylock: thrd_busy), "
        "ticks meanwhile: 3\n"
        "mtx_timedlock while another thread holds it: thrd_timedout; a recursive mutex: lock "
        "thrd_success thrd_success, unlock thrd_success thrd_success\n"
        "call_once while another thread runs the routine: returned after it finished: yes, runs: "
        "1, ticks meanwhile: 3\n"
        "thrd_sleep 30 ms: 0, interrupted by a handler: -1, time left reported: yes, with "
        "tv_nsec -1: -2\n"
        "thrd_yield until another thread sets a flag: flag set: yes, ticks meanwhile: 3\n"
        "tss_create: thrd_success, tss_get before tss_set: NULL, tss_set: thrd_success, tss_get "
        "after: the value\n"
        "sync_c11 done\n",
        0);
    const char *const three[] = {"thrd_join", "mtx_lock", "mtx_timedlock", "call_once", NULL};
    expect_os_threads_at(&pair, "sync_c11", three, 3);
    const char *const two[] = {"cnd_wait",          "cnd_timedwait", "thrd_sleep",
                               "thrd_sleep-signal", "thrd_yield",    NULL};
    expect_os_threads_at(&pair, "sync_c11", two, 2);
    run_pair_free(&pair);
}

/* ---- 6. a C++ program ---- */

Test(sync, cxx_threads_mutexes_condition_variables_shared_mutexes_and_call_once_go_green,
     .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sync_cxx", NULL, NULL,
        "sync_cxx start\n"
        "std::thread ran and joined: 7\n"
        "condition_variable::wait until notified: ticks meanwhile: 3\n"
        "condition_variable::wait_for until notified: yes, ticks meanwhile: 3; with nobody "
        "notifying: timeout: yes\n"
        "4 producers, one consumer: items 800, sum right: yes\n"
        "shared_mutex::lock_shared while a writer holds it: ticks meanwhile: 3 (try_lock_shared: "
        "no)\n"
        "shared_mutex: 3 readers inside at once: yes, writers' count: 30 of 30, overlaps: 0\n"
        "shared_timed_mutex::try_lock_for while a reader holds it: timed out\n"
        "std::call_once while another thread runs the function: returned after it finished: yes, "
        "runs: 1, ticker ran meanwhile: yes\n"
        "sync_cxx done\n",
        0);
    const char *const two[] = {"condition_variable::wait", "condition_variable::wait_for", NULL};
    expect_os_threads_at(&pair, "sync_cxx", two, 2);
    const char *const three[] = {"shared_mutex::lock_shared", "call_once", NULL};
    expect_os_threads_at(&pair, "sync_cxx", three, 3);
    run_pair_free(&pair);
}

/* ---- 7. Debian's python3 ---- */

/* CPython's locks are POSIX semaphores (sem_clockwait for timed acquires), its GIL a mutex
 * and a condition variable, time.sleep clock_nanosleep: threads that sleep, lock, release
 * semaphores and set events print the same under the shim, on one OS thread. Only where
 * Debian's python3 is installed (the one on PATH may be another build). */
static const char python_script[] =
    "import os, sys, threading, time\n"
    "lock = threading.Lock()\n"
    "sem = threading.Semaphore(0)\n"
    "event = threading.Event()\n"
    "order = []\n"
    "def worker(i):\n"
    "    time.sleep(0.02 * (3 - i))\n"
    "    with lock:\n"
    "        order.append(i)\n"
    "    sem.release()\n"
    "def ticker():\n"
    "    time.sleep(0.005)\n"
    "    if os.environ.get('REPORT_OS_THREADS') == '1':\n"
    "        print('os-threads python:', len(os.listdir('/proc/self/task')), file=sys.stderr)\n"
    "    event.set()\n"
    "threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]\n"
    "threads.append(threading.Thread(target=ticker))\n"
    "for t in threads:\n"
    "    t.start()\n"
    "print('event set:', event.wait(10))\n"
    "for _ in range(3):\n"
    "    sem.acquire()\n"
    "for t in threads:\n"
    "    t.join()\n"
    "print('workers in the order they slept:', order)\n"
    "print('acquire with a timeout on an empty semaphore:', sem.acquire(timeout=0.05))\n"
    "lock.acquire()\n"
    "got = []\n"
    "t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.05)))\n"
    "t.start()\n"
    "t.join()\n"
    "print('another thread acquires a held lock with a timeout:', got)\n";

Test(sync, debian_python3_threads_locks_semaphores_events_and_sleeps, .timeout = 60)
{
    const char *python = "/usr/bin/python3";
    if (access(python, X_OK) != 0)
        cr_skip_test("no %s", python);
    const char *const args[] = {"-c", python_script, NULL};
    const char *const env[] = {"REPORT_OS_THREADS=1", NULL};
    struct run_pair pair;
    struct run_opts native = {.mode = RUN_NATIVE, .env = env, .timeout_s = PROG_TIMEOUT_S};
    struct run_opts shim = {.mode = RUN_SHIM, .env = env, .timeout_s = PROG_TIMEOUT_S};
    run_program(&pair.native, &native, python, args);
    run_program(&pair.shim, &shim, python, args);
    expect_finished(&pair.native, "python3", "natively");
    expect_finished(&pair.shim, "python3", "under the shim");
    const char *expected = "event set: True\n"
                           "workers in the order they slept: [2, 1, 0]\n"
                           "acquire with a timeout on an empty semaphore: False\n"
                           "another thread acquires a held lock with a timeout: [False]\n";
    cr_expect_str_eq(pair.native.out, expected, "natively\nstderr:\n%s", pair.native.err);
    cr_expect_str_eq(pair.shim.out, expected, "under the shim\nstderr:\n%s", pair.shim.err);
    cr_expect_eq(pair.native.exit_code, 0);
    cr_expect_eq(pair.shim.exit_code, 0, "stderr:\n%s", pair.shim.err);
    expect_os_threads(&pair, "python3", "python", SEVERAL);
    run_pair_free(&pair);
}
