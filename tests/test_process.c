/* Processes: waiting for children, system(), popen()/pclose(), posix_spawn, vfork, fork and
 * daemon(), from programs with threads. Each helper program from tests/progs/proc_*.c
 * runs natively and under the shim; stdout must be the same byte for byte, and be what the
 * test expects; the exit status the same; and under the shim the program has one OS thread
 * while it waits (the ticker's "os-threads" report, thread_prog.h). In every wait the
 * child, the command or the stream ends only when another thread of the program says so:
 * under the shim the call returns at all only if it let that thread run. */
#include "harness.h"

#include <criterion/criterion.h>

/* waitpid for one child, any child, the group; wait, wait3, wait4 with rusage; waitid
 * with P_PID, P_ALL, P_PGID, P_PIDFD and WNOWAIT; WNOHANG; ECHILD and EINVAL; clone
 * children and __WALL / __WCLONE. */
Test(process, every_wait_call_lets_the_ticker_run_and_reports_as_natively, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_wait", NULL, NULL,
                    "waitpid(pid): the child, exited 7, ticks 3\n"
                    "waitpid(-1): the child, exited 8, ticks 3\n"
                    "waitpid(0): the child, exited 9, ticks 3\n"
                    "waitpid(-pgid): the child, exited 10, ticks 3\n"
                    "wait: the child, exited 11, ticks 3\n"
                    "wait3 rusage filled in: yes\n"
                    "wait3: the child, exited 12, ticks 3\n"
                    "wait4 rusage filled in: yes\n"
                    "wait4(pid): the child, exited 13, ticks 3\n"
                    "waitid(P_PID): 0, si_signo CHLD, si_code CLD_EXITED, si_status 14, "
                    "si_pid is the child: yes, ticks 3\n"
                    "waitid(P_ALL): 0, si_signo CHLD, si_code CLD_EXITED, si_status 15, "
                    "si_pid is the child: yes, ticks 3\n"
                    "waitid(P_PGID): 0, si_signo CHLD, si_code CLD_EXITED, si_status 16, "
                    "si_pid is the child: yes, ticks 3\n"
                    "waitid(P_PGID, 0): 0, si_signo CHLD, si_code CLD_EXITED, si_status 17, "
                    "si_pid is the child: yes, ticks 3\n"
                    "waitid(P_PIDFD): 0, si_signo CHLD, si_code CLD_EXITED, si_status 18, "
                    "si_pid is the child: yes, ticks 3\n"
                    "waitid(P_PID, NULL info): 0, ticks 3\n"
                    "the child is gone after it: ECHILD\n"
                    "waitid(P_PID, WNOWAIT): 0, si_signo CHLD, si_code CLD_EXITED, si_status 20, "
                    "si_pid is the child: yes, ticks 3\n"
                    "then waitpid(pid, WNOHANG): the child, exited 20\n"
                    "waitpid(pid, WNOHANG) while the child runs: 0\n"
                    "waitid(P_ALL, WNOHANG) while the child runs: 0, si_pid 0, si_signo 0\n"
                    "then waitpid(pid): the child, exited 21, ticks 3\n"
                    "no children: waitpid(-1): -1 ECHILD\n"
                    "no children: wait: -1 ECHILD\n"
                    "no children: wait3: -1 ECHILD\n"
                    "no children: waitid(P_ALL): -1 ECHILD\n"
                    "not a child: waitpid(parent): -1 ECHILD\n"
                    "bad options: waitpid(-1, WEXITED): -1 EINVAL\n"
                    "bad options: waitid(P_ALL, 0): -1 EINVAL\n"
                    "bad idtype: waitid(42): -1 EINVAL\n"
                    "clone child: waitpid(pid, 0): -1 ECHILD\n"
                    "clone child: waitpid(pid, __WALL): the child, exited 23\n"
                    "clone child: waitpid(pid, 0): -1 ECHILD\n"
                    "clone child: waitpid(pid, __WCLONE): the child, exited 24\n",
                    0);
    expect_os_threads(&pair, "proc_wait", "waitpid", 2);
    expect_os_threads(&pair, "proc_wait", "waitid-all", 2);
    run_pair_free(&pair);
}

/* EINTR from a handler without SA_RESTART (waitpid, wait, waitid), restart with it; a
 * SIGCHLD handler for the child waited for leaves the call its child; WUNTRACED,
 * WCONTINUED, WSTOPPED. */
Test(process, handlers_interrupt_or_restart_waits_and_stops_are_reported, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_wait_signals", NULL, NULL,
                    "waitpid, handler without SA_RESTART: -1 EINTR, handler ran 1, ticks 3\n"
                    "  then waitpid: the child, exited 1\n"
                    "wait, handler without SA_RESTART: -1 EINTR, handler ran 1, ticks 3\n"
                    "  then waitpid: the child, exited 2\n"
                    "waitid, handler without SA_RESTART: -1 EINTR, si_pid 0, handler ran 1, "
                    "ticks 3\n"
                    "  then waitpid: the child, exited 3\n"
                    "waitpid, handler with SA_RESTART: the child, exited 4, handler ran 1, "
                    "ticks 3\n"
                    "wait, handler with SA_RESTART: the child, exited 5, handler ran 1, ticks 3\n"
                    "waitid, handler with SA_RESTART: the child, exited 6, handler ran 1, ticks 3\n"
                    "waitpid, SIGCHLD handler without SA_RESTART: the child, exited 7, "
                    "handler ran 1\n"
                    "waitid(P_ALL), SIGCHLD handler without SA_RESTART: 0, si_status 8, "
                    "handler ran 1\n"
                    "waitpid(WUNTRACED): the child, stopped by SIGSTOP, ticks 3\n"
                    "waitpid(WCONTINUED): the child, continued\n"
                    "waitid(WSTOPPED): 0, si_code CLD_STOPPED, si_status SIGSTOP, ticks 3\n"
                    "waitid(P_ALL, WCONTINUED): 0, si_code CLD_CONTINUED, si_status SIGCONT\n"
                    "waitpid(-1, WUNTRACED | WCONTINUED): the child, exited 9, ticks 3\n",
                    0);
    expect_os_threads(&pair, "proc_wait_signals", "eintr-waitpid", 2);
    expect_os_threads(&pair, "proc_wait_signals", "wuntraced", 2);
    run_pair_free(&pair);
}

/* 50 green threads each in waitpid for its own child at once, and 10 in waitpid(-1)
 * sharing 10 children. */
Test(process, fifty_threads_wait_for_their_own_children_and_ten_share_waitpid_any, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_wait_many", NULL, NULL,
                    "50 threads in waitpid(pid): each reaped its own child with its status: 50\n"
                    "10 threads in waitpid(-1): children reaped once each with their status: 10\n",
                    0);
    expect_os_threads(&pair, "proc_wait_many", "own-children", 51);
    expect_os_threads(&pair, "proc_wait_many", "shared-children", 11);
    run_pair_free(&pair);
}

/* system(): status, system(NULL), a killed shell, errno kept; a command that waits for
 * the ticker; SIGINT and SIGQUIT ignored while any call runs (two at once) and restored
 * after; the shell's dispositions; ECHILD with SIGCHLD ignored. */
Test(process, system_waits_cooperatively_with_glibc_signal_handling, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_system", NULL, NULL,
                    "system(\"exit 3\"): 768 (exited 3), errno kept: yes\n"
                    "system(NULL): 1\n"
                    "system(\"kill -TERM $$\"): killed by SIGTERM\n"
                    "the shell writes to stdout\n"
                    "system(\"echo ...\"): exited 0\n"
                    "while system() runs: SIGINT SIG_IGN, SIGQUIT SIG_IGN\n"
                    "shell: read go, ignores SIGINT: 0, SIGQUIT: 0\n"
                    "system(read; exit 4): exited 4, ticks 3, errno 0\n"
                    "after system(): SIGINT handler, SIGQUIT SIG_DFL\n"
                    "while system() runs: SIGINT SIG_IGN, SIGQUIT SIG_IGN\n"
                    "shell: read go, ignores SIGINT: 0, SIGQUIT: 1\n"
                    "system(read; exit 4), SIGQUIT ignored: exited 4\n"
                    "after system(): SIGINT handler, SIGQUIT SIG_IGN\n"
                    "two shells running: SIGINT SIG_IGN\n"
                    "first system(): exited 1\n"
                    "one shell running: SIGINT SIG_IGN\n"
                    "second system(): exited 2\n"
                    "none running: SIGINT handler\n"
                    "system(\"exit 2\") with SIGCHLD ignored: -1 ECHILD\n",
                    0);
    expect_os_threads(&pair, "proc_system", "system", 2);
    run_pair_free(&pair);
}

/* popen "r" read with fgets; pclose of a "w" stream writes the buffered output, closes
 * the pipe, waits cooperatively; a failed write at pclose; two streams at once, one of
 * them opened before any thread; fclose of a popen stream, which is pclose in glibc. */
Test(process, pclose_waits_cooperatively_and_returns_what_glibc_returns, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_popen", NULL, NULL,
                    "popen(\"r\"): fgets: \"got go\", ticks 3\n"
                    "pclose: exited 5, errno kept: yes\n"
                    "popen(\"w\"): 10000 bytes given, 1808 of them still buffered\n"
                    "10000\n"
                    "pclose: exited 6, ticks 3, errno kept: yes\n"
                    "pclose after the command closed its input, exit 0: -1 (failed), errno EPIPE\n"
                    "pclose after the command closed its input, exit 3: 768 (exited 3), "
                    "errno EPIPE\n"
                    "first pclose (opened before any thread) with the second open: exited 1\n"
                    "second pclose: exited 2\n"
                    "fclose of a popen stream: 1792 (exited 7), ticks 3, errno kept: yes\n",
                    0);
    expect_os_threads(&pair, "proc_popen", "popen-read", 2);
    expect_os_threads(&pair, "proc_popen", "pclose-write", 2);
    run_pair_free(&pair);
}

/* 20 threads in posix_spawn / posix_spawnp at once; file actions; a vfork child that
 * closes (its copy of) an fd a parent thread waits on, writes, and execs or _exits. */
Test(process, posix_spawn_and_vfork_children_leave_the_parents_threads_alone, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_spawn", NULL, NULL,
                    "20 threads spawned a shell at once, each got its own status: 20\n"
                    "posix_spawn with file actions: read \"spawned, read go\", ticks 3\n"
                    "  then waitpid: the child, exited 7\n"
                    "vfork, exec: the child, "
                    "exited 9; the child wrote 'v'; the parent's reader read: its byte\n"
                    "vfork, _exit: the child, "
                    "exited 3; the child wrote 'v'; the parent's reader read: its byte\n",
                    0);
    expect_os_threads(&pair, "proc_spawn", "spawners", SEVERAL);
    expect_os_threads(&pair, "proc_spawn", "spawn-read", 2);
    run_pair_free(&pair);
}

/* A vfork child resets every handler to SIG_DFL (as Python's subprocess does): its own
 * table only; the parent's SIGCHLD handler still runs and is still reported. */
Test(process, vfork_child_resetting_handlers_leaves_the_parents_alone, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_vfork_handlers", NULL, NULL,
                    "the child: exited 5\n"
                    "the parent's SIGCHLD handler ran: yes\n"
                    "sigaction still reports the parent's handler: yes\n",
                    0);
    expect_os_threads(&pair, "proc_vfork_handlers", "vfork-wait", 2);
    run_pair_free(&pair);
}

/* fork from a thread other than main while a ticker runs: the child has one thread and
 * starts three that sleep, and a pool of its own; the parent waits in waitpid while its
 * ticker ticks. (The parent's OS threads are not counted: its pool has a worker.) */
Test(process, fork_child_has_one_thread_and_starts_its_own, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_fork", NULL, NULL,
                    "parent: syncfs: 0\n"
                    "child: syncfs: 0; 3 threads of its own slept and were joined; the parent's "
                    "ticker did not tick here: yes\n"
                    "parent: waitpid: the child, exited 12, ticks 3\n"
                    "parent: its own ticker ticked 5 times\n",
                    0);
    expect_os_threads(&pair, "proc_fork", "fork-child", 4);
    run_pair_free(&pair);
}

/* daemon(): the parent exits with 0, the child goes on alone in a session of its own (one
 * OS thread natively too) and starts a thread of its own. */
Test(process, daemon_child_goes_on_with_one_thread_and_starts_its_own, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "proc_daemon", NULL, NULL,
                    "before daemon()\n"
                    "daemon: another process: yes, a session of its own: yes\n"
                    "daemon: its own thread slept and returned 7\n",
                    0);
    expect_os_threads(&pair, "proc_daemon", "daemon", 1);
    run_pair_free(&pair);
}
