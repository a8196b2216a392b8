/* Signals under the shim: per-thread masks, waiting for signals, SA_RESTART, and raw system
 * calls through syscall() (futexes above all). Each helper program from tests/progs/ runs
 * natively and under the shim; stdout must be the same byte for byte and what the program
 * is known to print, the exit status the same, and under the shim the program runs on one
 * OS thread (it reports the count on stderr with REPORT_OS_THREADS=1). The signal tests
 * that predate these (handlers interrupting waits, signals for other threads) are in
 * test_shim_threads.c. */
#include "harness.h"

#include <criterion/criterion.h>

/* ---- masks ---- */

static const char sig_masks_out[] =
    "a new thread starts with its creator's mask: yes; it unblocks SIGUSR1 and blocks SIGUSR2 "
    "for itself: yes\n"
    "the creator's mask is unchanged: SIGUSR1 blocked yes, SIGUSR2 blocked no\n"
    "raise of a blocked signal: handler ran 0, pending: yes\n"
    "after unblocking: handler ran 1 (on this thread 1), pending: no\n"
    "in the handler: its own signal blocked yes, its sa_mask blocked yes; after it: SIGWINCH "
    "blocked no\n"
    "pthread_kill of a thread that blocks the signal: pending for it yes, for main no; its "
    "handler ran on it when it unblocked: yes\n"
    "a signal for the process that every thread blocks: pending for main yes, for another thread "
    "yes, handler ran 0\n"
    "a signal for the process that only a reading thread takes: its read EINTR, handler ran 1, "
    "on that thread 1\n"
    "siglongjmp restores the mask sigsetjmp saved: SIGUSR2 blocked no (round 1)\n"
    "sigblock yes, sigsetmask back yes, siggetmask agrees yes, sighold yes, sigrelse yes\n"
    "fork child of a thread: SIGTTIN blocked yes, SIGUSR1 blocked no\n"
    "the forking thread's mask stayed its own: SIGTTIN blocked in main no\n"
    "after exec from a thread: SIGTTOU blocked yes, SIGTTIN blocked no\n";

/* Masks per thread; pending for a thread or for the process; the handler's mask; unblocking
 * runs the handler; siglongjmp; the BSD and System V calls; fork and exec keep the calling
 * thread's mask. */
Test(signals, masks_are_per_thread_and_pending_signals_wait_for_an_unblock, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "sig_masks", NULL, NULL, sig_masks_out, 0);
    expect_os_threads(&pair, "sig_masks", "ticker-alive", 2);
    run_pair_free(&pair);
}

/* ---- waiting for signals ---- */

static const char sig_waits_out[] =
    "sigwait for SIGUSR1 sent to the process: 0 USR1\n"
    "sigwait: the other thread ticked 3 times meanwhile: yes\n"
    "sigwaitinfo for SIGUSR2 queued to the process: USR2, code SI_QUEUE, value 42, from this "
    "process: yes\n"
    "sigwaitinfo: the other thread ticked 3 times meanwhile: yes\n"
    "sigtimedwait for SIGUSR1 sent to the main thread: USR1, code SI_USER\n"
    "sigtimedwait: the other thread ticked 3 times meanwhile: yes\n"
    "sigtimedwait with nothing sent: -1 EAGAIN\n"
    "sigtimedwait with a zero timeout: -1 EAGAIN\n"
    "sigtimedwait with a bad timeout: -1 EINVAL\n"
    "sigtimedwait when a handler for another signal runs (SA_RESTART): -1 EINTR, handler ran 1\n"
    "sigtimedwait-eintr: the other thread ticked 3 times meanwhile: yes\n"
    "sigsuspend with SIGUSR1 unblocked for the wait: -1 EINTR, handler ran 1, SIGUSR1 blocked "
    "again: yes\n"
    "sigsuspend: the other thread ticked 3 times meanwhile: yes\n"
    "pause until a handler runs (SA_RESTART): -1 EINTR, handler ran 1\n"
    "pause: the other thread ticked 3 times meanwhile: yes\n"
    "read of a signalfd for SIGUSR2: 128 bytes, USR2, code SI_USER\n"
    "signalfd: the other thread ticked 3 times meanwhile: yes\n"
    "nothing left pending: yes\n";

static const char *const sig_waits_where[] = {"sigwait",    "sigwaitinfo", "sigtimedwait",
                                              "sigtimedwait-eintr", "sigsuspend", "pause",
                                              "signalfd", NULL};

/* Each call waits in main while another thread ticks and then sends the signal: the call
 * returning proves that it let the other thread run. */
Test(signals, signal_waits_let_the_other_threads_run, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "sig_waits", NULL, NULL, sig_waits_out, 0);
    expect_os_threads_at(&pair, "sig_waits", sig_waits_where, 2);
    run_pair_free(&pair);
}

/* ---- SA_RESTART ---- */

static const char sig_restart_out[] =
    "read on a pipe, SA_RESTART: 1 0, handler ran 1\n"
    "read on a pipe, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "readv on a pipe, SA_RESTART: 1 0, handler ran 1\n"
    "readv on a pipe, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "read on a socket, SA_RESTART: 1 0, handler ran 1\n"
    "read on a socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "recv on a socket, SA_RESTART: 1 0, handler ran 1\n"
    "recv on a socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "recvfrom on a UDP socket, SA_RESTART: 1 0, handler ran 1\n"
    "recvfrom on a UDP socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "recvmsg on a socket, SA_RESTART: 1 0, handler ran 1\n"
    "recvmsg on a socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "write on a full pipe, SA_RESTART: 1 0, handler ran 1\n"
    "write on a full pipe, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "writev on a full pipe, SA_RESTART: 1 0, handler ran 1\n"
    "writev on a full pipe, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "send on a full socket, SA_RESTART: 1 0, handler ran 1\n"
    "send on a full socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "sendmsg on a full socket, SA_RESTART: 1 0, handler ran 1\n"
    "sendmsg on a full socket, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "accept, SA_RESTART: 0 0, handler ran 1\n"
    "accept, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "connect to a full backlog, SA_RESTART: 0 0, handler ran 1\n"
    "connect to a full backlog, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "futex wait, SA_RESTART: 0 0, handler ran 1\n"
    "futex wait, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "recv with SO_RCVTIMEO, SA_RESTART: -1 EINTR, handler ran 1\n"
    "recv with SO_RCVTIMEO, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "accept with SO_RCVTIMEO, SA_RESTART: -1 EINTR, handler ran 1\n"
    "accept with SO_RCVTIMEO, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "send with SO_SNDTIMEO, SA_RESTART: -1 EINTR, handler ran 1\n"
    "send with SO_SNDTIMEO, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "connect with SO_SNDTIMEO, SA_RESTART: -1 EINTR, handler ran 1\n"
    "connect with SO_SNDTIMEO, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "futex wait with a timeout, SA_RESTART: -1 EINTR, handler ran 1\n"
    "futex wait with a timeout, no SA_RESTART: -1 EINTR, handler ran 1\n"
    "a signal for the process, no SA_RESTART, 3 reading threads take it: 1 read interrupted, 2 "
    "read their byte, handler ran 1\n";

/* signal(7)'s rule for every cooperative call, and a handler for the process interrupting
 * exactly one of several waiting threads. */
Test(signals, sa_restart_restarts_what_the_kernel_restarts, .timeout = 60)
{
    struct run_pair pair;
    run_both_expect(&pair, "sig_restart", NULL, NULL, sig_restart_out, 0);
    expect_os_threads(&pair, "sig_restart", "ticker-alive", 2);
    run_pair_free(&pair);
}

/* ---- syscall(SYS_futex, ...) ---- */

static const char syscall_futex_out[] =
    "futex mutex: 8 threads x 5000 increments = 40000\n"
    "futex condition variable: 12000 items through 16 slots, sum right: yes\n"
    "FUTEX_WAIT when the word changed: -1 EAGAIN\n"
    "FUTEX_WAIT, 20 ms: -1 ETIMEDOUT\n"
    "FUTEX_WAIT_BITSET, monotonic deadline: -1 ETIMEDOUT\n"
    "FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, realtime deadline: -1 ETIMEDOUT\n"
    "FUTEX_WAIT_BITSET, deadline passed, word changed: -1 EAGAIN\n"
    "FUTEX_WAIT_BITSET with bitset 0: -1 EINVAL\n"
    "FUTEX_WAIT with tv_nsec 1e9: -1 EINVAL\n"
    "FUTEX_WAIT on a misaligned word: -1 EINVAL\n"
    "FUTEX_WAKE with nobody waiting: 0 0\n"
    "FUTEX_WAKE_BITSET with bitset 0: -1 EINVAL\n"
    "FUTEX_WAKE_BITSET 0x2 woke the waiter with 0x2 (0) and left the one with 0x1 waiting: yes; "
    "0x1 then woke it (0)\n"
    "FUTEX_WAIT ended by another thread's wake: yes, after it ticked 3 times: yes\n"
    "FUTEX_WAIT woken by a timer thread's FUTEX_WAKE: 0 0, word 1\n"
    "shared FUTEX_WAIT woken by another process: 0, word 1\n"
    "FUTEX_CMP_REQUEUE of two waiters, then a wake of the target: they returned 0 and 0\n";

Test(signals, futexes_through_syscall_park_green_threads, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "syscall_futex", NULL, NULL, syscall_futex_out, 0);
    expect_os_threads(&pair, "syscall_futex", "counters-alive", SEVERAL);
    expect_os_threads(&pair, "syscall_futex", "futex", 3);
    run_pair_free(&pair);
}

static const char syscall_glib_out[] =
    "GMutex: 8 GThreads x 5000 increments = 40000\n"
    "GAsyncQueue: 12000 items from 3 producers to 3 consumers, sum right: yes\n"
    "g_cond_wait_until with nobody signalling: FALSE\n"
    "g_cond_wait ended by another GThread's g_cond_signal after it ticked 3 times: yes\n";

/* GLib's locks call syscall(SYS_futex) themselves. */
Test(signals, glib_mutexes_and_conditions_work_on_one_os_thread, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "syscall_glib", NULL, NULL, syscall_glib_out, 0);
    expect_os_threads(&pair, "syscall_glib", "counters-alive", SEVERAL);
    expect_os_threads(&pair, "syscall_glib", "g_cond_wait", SEVERAL);
    run_pair_free(&pair);
}
