/* poll, ppoll, select, pselect and the epoll waits (and the fd calls of the same area)
 * under the shim. Each helper program (tests/progs/poll_*.c) runs natively and under the
 * shim: stdout must be what the test expects, byte for byte, both times; the OS thread
 * count it reports while a call waits must be 1 under the shim. A call that blocked the
 * one OS thread would hang the program (its safety alarm ends it). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs prog natively and under the shim and expects it to print out both times; at each
 * of the places where its ticker reported the OS thread count, one OS thread under the
 * shim and native_threads natively. */
static void expect_prog(const char *prog, const char *out, const char *const *where, size_t n,
                        int native_threads)
{
    struct run_pair pair;
    run_both_expect(&pair, prog, NULL, NULL, out, 0);
    for (size_t i = 0; i < n; i++)
        expect_os_threads(&pair, prog, where[i], native_threads);
    run_pair_free(&pair);
}

/* The places for expect_prog: WHERE("poll", "select") is the array and its length. */
#define WHERE(...)                                                                            \
    (const char *const[]){__VA_ARGS__},                                                       \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* ---- 1. the waiting calls, woken by another thread ---- */

static const char poll_coop_out[] =
    "poll, timeout -1 ms, a byte comes: 1, revents POLLIN, of the ignored fd -1: 0, ticks while it "
    "waited: 3\n"
    "poll, timeout 5000 ms, a byte comes: 1, revents POLLIN, of the ignored fd -1: 0, ticks while "
    "it waited: 3\n"
    "ppoll, timeout -1 ms, a byte comes: 1, revents POLLIN, of the ignored fd -1: 0, ticks while "
    "it waited: 3\n"
    "ppoll, timeout 5000 ms, a byte comes: 1, revents POLLIN, of the ignored fd -1: 0, ticks while "
    "it waited: 3\n"
    "select, timeout -1 ms, a byte comes: 1, fd in the read set: yes, ticks while it waited: 3\n"
    "select, timeout 5000 ms, a byte comes: 1, fd in the read set: yes, timeval left: less than "
    "given, ticks while it waited: 3\n"
    "pselect, timeout -1 ms, a byte comes: 1, fd in the read set: yes, ticks while it waited: 3\n"
    "pselect, timeout 5000 ms, a byte comes: 1, fd in the read set: yes, timespec unchanged: yes, "
    "ticks while it waited: 3\n"
    "epoll_wait, timeout -1 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it waited: 3\n"
    "epoll_wait, timeout 5000 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it waited: "
    "3\n"
    "epoll_pwait, timeout -1 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it waited: "
    "3\n"
    "epoll_pwait, timeout 5000 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it waited: "
    "3\n"
    "epoll_pwait2, timeout -1 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it waited: "
    "3\n"
    "epoll_pwait2, timeout 5000 ms, a byte comes: 1, event EPOLLIN, data 42, ticks while it "
    "waited: 3\n"
    "poll for POLLOUT on a full pipe, the ticker drains it: 1, revents POLLOUT, ticks while it "
    "waited: 3\n"
    "poll on two pipes, the ticker closes one, then writes into the other: 2, revents POLLNVAL and "
    "POLLIN\n"
    "select on two pipes, the ticker closes one, then writes into the other: 2, closed fd in the "
    "set: yes, written one: yes\n"
    "epoll_wait for 200 ms while the ticker closes the epoll fd: 0\n"
    "done\n";

Test(poll, each_call_waits_while_another_thread_runs_then_reports_the_native_result,
     .timeout = 40)
{
    expect_prog("poll_coop", poll_coop_out, WHERE("poll", "ppoll", "select", "pselect",
                "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll-out", "poll-closed",
                "select-closed", "epoll-closed"), 2);
}

/* ---- 2. signals: EINTR, never restarted; the calls' signal masks ---- */

static const char poll_eintr_out[] =
    "poll: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, revents 0, of the ignored fd -1: 0, "
    "handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "poll: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, revents 0, of the ignored "
    "fd -1: 0, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "ppoll: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, revents 0, of the ignored fd -1: 0, "
    "handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "ppoll: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, revents 0, of the ignored "
    "fd -1: 0, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "select: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, fd in the read set: yes, handler ran: "
    "1 time(s), SIGUSR1 blocked after: no\n"
    "select: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, fd in the read set: yes, "
    "timeval left: less than given, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "pselect: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, fd in the read set: yes, handler ran: "
    "1 time(s), SIGUSR1 blocked after: no\n"
    "pselect: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, fd in the read set: yes, "
    "timespec unchanged: yes, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "epoll_wait: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, no event, handler ran: 1 time(s), "
    "SIGUSR1 blocked after: no\n"
    "epoll_wait: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, no event, handler "
    "ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "epoll_pwait: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, no event, handler ran: 1 time(s), "
    "SIGUSR1 blocked after: no\n"
    "epoll_pwait: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, no event, handler "
    "ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "epoll_pwait2: SIGUSR1 (SA_RESTART) while it waits: -1 EINTR, no event, handler ran: 1 "
    "time(s), SIGUSR1 blocked after: no\n"
    "epoll_pwait2: SIGUSR1 (SA_RESTART) while it waits, 5 s timeout: -1 EINTR, no event, handler "
    "ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "poll with no fds, no timeout: -1 EINTR, handler ran: 1 time(s)\n"
    "ppoll: pending SIGUSR1, unblocked by the call's mask: -1 EINTR, revents 0, of the ignored fd "
    "-1: 0, handler ran: 1 time(s), SIGUSR1 blocked after: yes\n"
    "ppoll: SIGUSR1 while it waits, unblocked by its mask: -1 EINTR, revents 0, of the ignored fd "
    "-1: 0, handler ran: 1 time(s), SIGUSR1 blocked after: yes\n"
    "ppoll: SIGUSR1 and a byte while it waits, SIGUSR1 blocked by its mask: 1, revents POLLIN, of "
    "the ignored fd -1: 0, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "pselect: pending SIGUSR1, unblocked by the call's mask: -1 EINTR, fd in the read set: yes, "
    "handler ran: 1 time(s), SIGUSR1 blocked after: yes\n"
    "pselect: SIGUSR1 while it waits, unblocked by its mask: -1 EINTR, fd in the read set: yes, "
    "handler ran: 1 time(s), SIGUSR1 blocked after: yes\n"
    "pselect: SIGUSR1 and a byte while it waits, SIGUSR1 blocked by its mask: 1, fd in the read "
    "set: yes, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "epoll_pwait: pending SIGUSR1, unblocked by the call's mask: -1 EINTR, no event, handler ran: "
    "1 time(s), SIGUSR1 blocked after: yes\n"
    "epoll_pwait: SIGUSR1 while it waits, unblocked by its mask: -1 EINTR, no event, handler ran: "
    "1 time(s), SIGUSR1 blocked after: yes\n"
    "epoll_pwait: SIGUSR1 and a byte while it waits, SIGUSR1 blocked by its mask: 1, event "
    "EPOLLIN, data 42, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "epoll_pwait2: pending SIGUSR1, unblocked by the call's mask: -1 EINTR, no event, handler ran: "
    "1 time(s), SIGUSR1 blocked after: yes\n"
    "epoll_pwait2: SIGUSR1 while it waits, unblocked by its mask: -1 EINTR, no event, handler ran: "
    "1 time(s), SIGUSR1 blocked after: yes\n"
    "epoll_pwait2: SIGUSR1 and a byte while it waits, SIGUSR1 blocked by its mask: 1, event "
    "EPOLLIN, data 42, handler ran: 1 time(s), SIGUSR1 blocked after: no\n"
    "done\n";

Test(poll, a_handler_ends_the_wait_with_eintr_and_masks_apply_while_waiting, .timeout = 40)
{
    expect_prog("poll_eintr", poll_eintr_out, WHERE("poll-sleep", "epoll_pwait2"), 3);
}

/* ---- 3. timeouts and refused arguments ---- */

static const char poll_timeout_out[] =
    "poll, timeout 20 ms, nothing comes: 0, revents 0, of the ignored fd -1: 0\n"
    "poll, timeout 0 ms, nothing comes: 0, revents 0, of the ignored fd -1: 0\n"
    "ppoll, timeout 20 ms, nothing comes: 0, revents 0, of the ignored fd -1: 0\n"
    "ppoll, timeout 0 ms, nothing comes: 0, revents 0, of the ignored fd -1: 0\n"
    "select, timeout 20 ms, nothing comes: 0, fd in the read set: no, timeval left: 0\n"
    "select, timeout 0 ms, nothing comes: 0, fd in the read set: no, timeval left: 0\n"
    "pselect, timeout 20 ms, nothing comes: 0, fd in the read set: no, timespec unchanged: yes\n"
    "pselect, timeout 0 ms, nothing comes: 0, fd in the read set: no, timespec unchanged: yes\n"
    "epoll_wait, timeout 20 ms, nothing comes: 0, no event\n"
    "epoll_wait, timeout 0 ms, nothing comes: 0, no event\n"
    "epoll_pwait, timeout 20 ms, nothing comes: 0, no event\n"
    "epoll_pwait, timeout 0 ms, nothing comes: 0, no event\n"
    "epoll_pwait2, timeout 20 ms, nothing comes: 0, no event\n"
    "epoll_pwait2, timeout 0 ms, nothing comes: 0, no event\n"
    "ppoll with tv_sec -1: -1 EINVAL\n"
    "ppoll with tv_nsec 1000000000: -1 EINVAL\n"
    "select with tv_sec -1: -1 EINVAL\n"
    "select with tv_usec -1: -1 EINVAL\n"
    "pselect with tv_nsec -5: -1 EINVAL\n"
    "select with n -1: -1 EINVAL\n"
    "epoll_pwait2 with tv_sec -1: -1 EINVAL\n"
    "epoll_wait with maxevents 0: -1 EINVAL\n"
    "epoll_wait on a pipe: -1 EINVAL\n"
    "poll on a pipe and a closed fd, no timeout: 1, revents 0 and POLLNVAL\n"
    "select on a pipe and a closed fd, no timeout: -1 EBADF\n"
    "select with 1500000 microseconds, readable at once: 1, timeval left: 1 s and less than 500000 "
    "us: yes\n"
    "select with n 65536 and sets of 1024 bits, 20 ms, nothing comes: 0, fd in the set: no\n"
    "the same after a byte came: 1, fd in the set: yes\n"
    "done\n";

Test(poll, timeouts_return_zero_and_refused_arguments_fail_as_natively, .timeout = 40)
{
    expect_prog("poll_timeout", poll_timeout_out, NULL, 0, 0);
}

/* ---- 4. 1,000 fds ---- */

static const char poll_many_out[] =
    "poll on 1000 fds, one written: 1, entries with revents: 1, entry 777: POLLIN, ticks while it "
    "waited: 3\n"
    "select on 1000 fds, one written: 1, fds left in the set: 1, entry 777, ticks while it waited: "
    "3\n"
    "epoll_wait on 1000 fds, one written: 1, first event for entry 777, ticks while it waited: 3\n"
    "done\n";

Test(poll, one_ready_fd_among_a_thousand, .timeout = 40)
{
    expect_prog("poll_many", poll_many_out, WHERE("poll-1000", "select-1000", "epoll-1000"), 2);
}

/* ---- 5. a single-threaded event loop pays nothing ---- */

/* The system calls that the shim's waits and attempts would add, traced by strace. (Not
 * fstat and the like: the loader makes one more of those for the preloaded library.) */
static const char *const traced[] = {
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll",     "ppoll",
    "select",     "pselect6",    "fcntl",        "recvmsg",   "sendmsg",  "preadv2",
    "pwritev2",   "getsockopt",  "recvfrom",     "sendto",
};
enum { TRACED = sizeof traced / sizeof traced[0] };

/* Runs prog under strace (under the shim when preload is not NULL) and counts the traced
 * system calls by name. */
static void count_syscalls(const char *prog, const char *preload, int counts[TRACED])
{
    char expr[512] = "trace=", env[4096];
    for (int i = 0; i < TRACED; i++) {
        strcat(expr, traced[i]);
        strcat(expr, i + 1 < TRACED ? "," : "");
    }
    snprintf(env, sizeof env, "LD_PRELOAD=%s", preload ? preload : "");
    const char *args[] = {"-f", "-qq", "-e", expr, "-e", "signal=none", "-E", env,
                          prog_path(prog), NULL};
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 60};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/strace", args);
    cr_assert_eq(r.exit_code, 0, "strace %s: exit %d\nstderr:\n%.2000s", prog, r.exit_code,
                 r.err);
    for (int i = 0; i < TRACED; i++) {
        counts[i] = 0;
        size_t len = strlen(traced[i]);
        for (const char *line = r.err; line && *line; line = strchr(line, '\n'), line += !!line)
            if (strncmp(line, traced[i], len) == 0 && line[len] == '(')
                counts[i]++;
    }
    run_result_free(&r);
}

Test(poll, a_single_threaded_event_loop_makes_exactly_the_native_system_calls, .timeout = 60)
{
    int native[TRACED], shim[TRACED];
    count_syscalls("poll_epoll_loop", NULL, native);
    count_syscalls("poll_epoll_loop", getenv("GP_PRELOAD"), shim);
    for (int i = 0; i < TRACED; i++)
        cr_expect_eq(shim[i], native[i], "%s: %d calls under the shim, %d natively", traced[i],
                     shim[i], native[i]);
    cr_expect_eq(native[0], 100, "epoll_wait natively: %d calls", native[0]);
    cr_expect_eq(native[4], 100, "poll natively: %d calls", native[4]);
}

/* ---- 6. sendfile, splice, tee, vmsplice ---- */

static const char poll_transfer_out[] =
    "sendfile of 4 MiB into a TCP socket: 4194304, the other end got 4194304 bytes, in order: yes, "
    "O_NONBLOCK left: no, ticks while it waited: 3\n"
    "sendfile's offset after: 4194304\n"
    "sendfile of 1 MiB into a full pipe, the ticker empties it: sent some, no more than the pipe "
    "holds: yes, the reader got them in order: yes, file offset moved as much: yes, O_NONBLOCK "
    "left: no, ticks while it waited: 3\n"
    "splice of 60000 bytes from a pipe into a TCP socket: 60000, the other end got 60000 bytes, in "
    "order: yes, O_NONBLOCK left: no, ticks while it waited: 3\n"
    "splice from a TCP socket into a pipe, 100 bytes come: 100, the other end got 100 bytes, in "
    "order: yes, O_NONBLOCK left: no, ticks while it waited: 3\n"
    "splice from a pipe into a pipe, 10 bytes come: 10, the other end got 10 bytes, in order: yes, "
    "O_NONBLOCK left: no, ticks while it waited: 3\n"
    "tee from a pipe into a pipe, 10 bytes come: 10, the other end got 10 bytes, in order: yes, "
    "O_NONBLOCK left: no, ticks while it waited: 3\n"
    "tee left the bytes in the first pipe: yes\n"
    "vmsplice of 4096 bytes into a full pipe, the ticker empties it: 4096, the reader got them in "
    "order: yes, ticks while it waited: 3\n"
    "vmsplice from an empty pipe, 10 bytes come: 10, in order: yes, ticks while it waited: 3\n"
    "done\n";

Test(poll, sendfile_splice_tee_and_vmsplice_wait_for_room_or_data_while_others_run, .timeout = 40)
{
    expect_prog("poll_transfer", poll_transfer_out,
                WHERE("sendfile-socket", "sendfile-pipe", "splice-to-socket",
                      "splice-from-socket", "splice-pipes", "tee", "vmsplice-in", "vmsplice-out"),
                2);
}

/* ---- 7. recvmmsg, sendmmsg ---- */

static const char poll_mmsg_out[] =
    "recvmmsg of 4, 4 sent: 4, lengths [10 20 30 40], the ticker's sendmmsg: 4, ticks while it "
    "waited: 3\n"
    "recvmmsg of 4 with MSG_WAITFORONE, 1 sent: 1, lengths [10], the ticker's sendmmsg: 1, ticks "
    "while it waited: 3\n"
    "recvmmsg of 4 with a zero timeout, 2 sent: 1, lengths [10], the ticker's sendmmsg: 2, timeout "
    "left: 0.000000000, ticks while it waited: 3\n"
    "recvmmsg of 2 with a 5 s timeout, 2 sent: 2, lengths [10 20], the ticker's sendmmsg: 2, "
    "timeout left less than given: yes, ticks while it waited: 3\n"
    "sendmmsg of 2 messages of 204800 bytes on a TCP socket: 2, lengths 204800 204800, the other "
    "end got 409600 bytes, in order: yes, ticks while it waited: 3\n"
    "done\n";

Test(poll, recvmmsg_and_sendmmsg_wait_per_message_as_natively, .timeout = 40)
{
    expect_prog("poll_mmsg", poll_mmsg_out,
                WHERE("recvmmsg", "recvmmsg-waitforone", "recvmmsg-zero", "recvmmsg-timeout",
                      "sendmmsg-tcp"),
                2);
}

/* ---- 8. eventfd, timerfd, inotify; connect on unix sockets ---- */

static const char poll_fdtypes_out[] =
    "eventfd_read of a zero counter, 5 added: 0, value 5, ticks while it waited: 3\n"
    "read() of a zero eventfd counter, 5 written: 8, value 5, ticks while it waited: 3\n"
    "eventfd_write of 1 onto a full counter, the ticker reads it: 0, counter then 1, ticks while "
    "it waited: 3\n"
    "read() of a timerfd, the ticker arms it: 8, expirations 1, ticks while it waited: 3\n"
    "read() of an inotify fd, the ticker creates a file: an event, event IN_CREATE: yes, name "
    "made, ticks while it waited: 3\n"
    "connect on a unix stream socket, backlog full until the ticker accepts: 0, O_NONBLOCK left: "
    "no, ticks while it waited: 3\n"
    "connect on a unix seqpacket socket, backlog full until the ticker accepts: 0, O_NONBLOCK "
    "left: no, ticks while it waited: 3\n"
    "done\n";

Test(poll, eventfd_timerfd_inotify_and_unix_connects_wait_while_others_run, .timeout = 40)
{
    expect_prog("poll_fdtypes", poll_fdtypes_out, WHERE("eventfd_read", "eventfd-read",
                "eventfd_write", "timerfd", "inotify", "stream", "seqpacket"), 2);
}

/* ---- 9. open of a FIFO ---- */

static const char poll_fifo_open_out[] =
    "open O_RDONLY of a FIFO, the ticker opens the other end: an fd, O_NONBLOCK: no, O_CLOEXEC: "
    "yes, a byte went through: yes, ticks while it waited: 3\n"
    "open O_WRONLY of a FIFO, the ticker opens the other end: an fd, O_NONBLOCK: no, O_CLOEXEC: "
    "yes, a byte went through: yes, ticks while it waited: 3\n"
    "request and response over two FIFOs, each side opening both: answer pong\n"
    "open O_RDONLY of a FIFO, SIGUSR1 (no SA_RESTART) comes: -1 EINTR, handler ran: 1 time(s)\n"
    "done\n";

Test(poll, a_fifo_open_waits_for_the_other_end_while_others_run, .timeout = 40)
{
    expect_prog("poll_fifo_open", poll_fifo_open_out, WHERE("O_RDONLY", "O_WRONLY", "fifo-eintr"),
                2);
}

/* ---- 10. close of a socket with SO_LINGER ---- */

static const char poll_linger_out[] =
    "close with SO_LINGER (5 s) and data in flight, the peer reads it: 0, the peer got it all, in "
    "order: yes, ticks while it waited: 3\n"
    "close with SO_LINGER (1 s) and data nobody reads: 0\n"
    "shutdown(SHUT_WR) with SO_LINGER (5 s) and data nobody reads: 0\n"
    "done\n";

Test(poll, close_of_a_lingering_socket_waits_while_others_run, .timeout = 40)
{
    expect_prog("poll_linger", poll_linger_out, WHERE("linger"), 2);
}

/* ---- 11. the names a program built with _FORTIFY_SOURCE calls ---- */

static const char poll_fortified_out[] =
    "poll (fortified): 1, revents POLLIN, ticks while it waited: 3\n"
    "ppoll (fortified): 1, revents POLLIN, ticks while it waited: 3\n"
    "read (fortified): 1, ticks while it waited: 3\n"
    "recv (fortified): 1, ticks while it waited: 3\n"
    "recvfrom (fortified): 1, ticks while it waited: 3\n"
    "open O_RDONLY of a FIFO (fortified): an fd, O_NONBLOCK: no, ticks while it waited: 3\n"
    "openat O_RDONLY of a FIFO (fortified): an fd, O_NONBLOCK: no, ticks while it waited: 3\n"
    "done\n";

Test(poll, fortified_programs_calls_go_through_the_chk_and_2_names, .timeout = 40)
{
    /* The helper really calls them: its dynamic symbols say so. */
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-T", prog_path("poll_fortified"), NULL};
    struct run_result syms;
    run_program(&syms, &opts, "/usr/bin/objdump", args);
    static const char *const names[] = {" __poll_chk\n",  " __ppoll_chk\n",
                                        " __read_chk\n",  " __recv_chk\n",
                                        " __recvfrom_chk\n", " __open_2\n",
                                        " __openat_2\n"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_expect(strstr(syms.out, names[i]), "poll_fortified does not call%s", names[i]);
    run_result_free(&syms);

    expect_prog("poll_fortified", poll_fortified_out,
                WHERE("__poll_chk", "__ppoll_chk", "__read_chk", "__recv_chk", "__recvfrom_chk",
                      "__open_2", "__openat_2"),
                2);
}

/* A thread whose loop always finds something ready (a writable socket) lets the others run:
 * each multiplexing call first gives them a turn. Without that, the waiter parked on the
 * hub was never woken and the program hung, as redis-benchmark --threads did. */
Test(poll, a_loop_that_always_finds_events_ready_does_not_starve_a_waiting_thread,
     .timeout = 40)
{
    expect_prog("poll_ready_loop",
                "epoll_wait: the waiter saw the byte while the spinner's call was always ready: "
                "yes, every spin ready: yes\n"
                "poll: the waiter saw the byte while the spinner's call was always ready: yes, "
                "every spin ready: yes\n"
                "select: the waiter saw the byte while the spinner's call was always ready: "
                "yes, every spin ready: yes\n",
                WHERE("epoll_wait", "poll", "select"), SEVERAL);
}
