/* I/O on pipes, FIFOs and sockets under the shim. Each helper program (tests/progs/io_*.c,
 * libevent_user.c) checks its own return values and errno and prints deterministic lines;
 * here it is run natively, where it must pass its own checks, and under the shim, where it
 * must print the same bytes and exit the same way. Both runs set IO_REPORT_TASKS=1, so the
 * programs report their OS thread count on stderr while several threads are alive: more
 * than one natively, exactly one under the shim (which also proves the shim was loaded).
 * io_close_wait only runs under the shim: natively Linux leaves a thread blocked in read()
 * when another thread closes the fd, which is exactly what the shim promises not to do. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The programs end themselves with alarm(10); this is the harness's last resort. */
#define RUN_TIMEOUT_S 20

static const char *const report_tasks_env[] = {"IO_REPORT_TASKS=1", NULL};

static void run_io_program(struct run_result *r, enum run_mode mode, const char *name,
                           const char *input)
{
    struct run_opts o = {
        .mode = mode, .env = report_tasks_env, .input = input, .timeout_s = RUN_TIMEOUT_S};
    run_program(r, &o, prog_path(name), NULL);
}

static const char *mode_name(enum run_mode mode)
{
    return mode == RUN_SHIM ? "under the shim" : "natively";
}

/* The smallest and largest "tasks=N" a program reported on stderr; false if none. */
static bool reported_tasks(const struct run_result *r, int *min, int *max)
{
    bool any = false;
    for (const char *p = strstr(r->err, "tasks="); p; p = strstr(p + 1, "tasks=")) {
        int n = atoi(p + strlen("tasks="));
        *min = any && *min < n ? *min : n;
        *max = any && *max > n ? *max : n;
        any = true;
    }
    return any;
}

static void expect_ran_to_completion(const struct run_result *r, const char *name,
                                     enum run_mode mode)
{
    cr_assert(!r->timed_out, "%s %s: timed out\nstdout:\n%s\nstderr:\n%s", name,
              mode_name(mode), r->out, r->err);
    cr_assert(r->term_signal == 0 && r->exit_code == 0,
              "%s %s: exit code %d, signal %d (%s%s)\nstdout:\n%s\nstderr:\n%s", name,
              mode_name(mode), r->exit_code, r->term_signal,
              r->term_signal ? strsignal(r->term_signal) : "none",
              r->term_signal == SIGALRM ? ": the program's safety alarm, it hung" : "", r->out,
              r->err);
    cr_assert(r->out_len >= 5 && strcmp(r->out + r->out_len - 5, "done\n") == 0,
              "%s %s: stdout does not end with \"done\"\nstdout:\n%s", name, mode_name(mode),
              r->out);
}

static void expect_task_counts(const struct run_result *r, const char *name, enum run_mode mode)
{
    int min = 0, max = 0;
    cr_assert(reported_tasks(r, &min, &max), "%s %s: no tasks=N on stderr\nstderr:\n%s", name,
              mode_name(mode), r->err);
    if (mode == RUN_SHIM)
        cr_expect(min == 1 && max == 1,
                  "%s under the shim: OS threads %d..%d with several threads alive, want 1",
                  name, min, max);
    else
        cr_expect(max > 1, "%s natively: only %d OS thread with several threads alive", name,
                  max);
}

/* The native run passes the program's own checks (and prints native_must_contain, unless
 * NULL); the run under the shim prints the same stdout byte for byte and exits the same
 * way, with one OS thread. */
static void check_same_under_shim(const char *name, const char *input,
                                  const char *native_must_contain)
{
    struct run_result native, shim;
    run_io_program(&native, RUN_NATIVE, name, input);
    expect_ran_to_completion(&native, name, RUN_NATIVE);
    expect_task_counts(&native, name, RUN_NATIVE);
    if (native_must_contain)
        cr_assert(strstr(native.out, native_must_contain) != NULL,
                  "%s natively: stdout lacks \"%s\"\nstdout:\n%s", name, native_must_contain,
                  native.out);

    run_io_program(&shim, RUN_SHIM, name, input);
    expect_ran_to_completion(&shim, name, RUN_SHIM); /* natively it did */
    cr_expect_str_eq(shim.out, native.out,
                     "%s: stdout differs\n--- under the shim:\n%s--- natively:\n%s", name,
                     shim.out, native.out);
    expect_task_counts(&shim, name, RUN_SHIM);
    run_result_free(&native);
    run_result_free(&shim);
}

Test(shim_io, regular_file_read_returns_the_whole_request)
{
    check_same_under_shim("io_file_read", NULL,
                          "read of the whole file in one call returned all of it: yes\n"
                          "and the bytes are right: yes\n");
}

Test(shim_io, pipes_between_threads)
{
    check_same_under_shim("io_pipe_pingpong", NULL, NULL);
}

/* main opens both ends without waiting (open() of a FIFO is not cooperative yet); the
 * threads then wait on each other in blocking read and write. A small writev reaches a
 * reader that waits in readv (a thread, then a child process) in one piece. */
Test(shim_io, fifo_between_threads)
{
    check_same_under_shim("io_fifo", NULL, NULL);
}

Test(shim_io, sockets_between_threads)
{
    check_same_under_shim("io_sockets", NULL, NULL);
}

Test(shim_io, thread_pool_in_accept)
{
    check_same_under_shim("io_accept_pool", NULL, NULL);
}

Test(shim_io, one_socket_waited_on_by_two_threads)
{
    check_same_under_shim("io_duplex_wait", NULL, NULL);
}

/* What an fd number names can change without close(): dup2 onto it, the old pipe still
 * open through a dup. A wait on it then waits for the new pipe, and a readiness report left
 * behind by the old one does not end that wait. */
Test(shim_io, wait_on_an_fd_number_that_dup2_reused)
{
    check_same_under_shim("io_fd_reuse", NULL, NULL);
}

Test(shim_io, connect_results)
{
    check_same_under_shim("io_connect", NULL, NULL);
}

Test(shim_io, socket_timeouts)
{
    check_same_under_shim("io_timeouts", NULL, NULL);
}

Test(shim_io, o_nonblock_belongs_to_the_program)
{
    check_same_under_shim("io_nonblock", "a line the test wrote to stdin\n",
                          "\"a line the test wrote to stdin\"");
}

/* fgets and fflush reach the socket through glibc's internal read and write, which the shim
 * cannot interpose (the "calls glibc makes internally" edge of design.md). What must work
 * already: stdio on a socket the shim has waited on before, with the data already there,
 * because the shim left the fds blocking. A fgets that must wait belongs to a later issue. */
Test(shim_io, stdio_streams_on_a_socket_after_cooperative_io)
{
    check_same_under_shim("io_stdio_socket", NULL, NULL);
}

Test(shim_io, errno_and_eof)
{
    check_same_under_shim("io_errno", NULL, NULL);
}

/* A reset that comes after a blocking write or a MSG_WAITALL recv has moved some bytes: the
 * call returns its count, and the next call gets ECONNRESET (no EPIPE, no SIGPIPE, no EOF). */
Test(shim_io, reset_after_a_partial_transfer_is_left_for_the_next_call)
{
    check_same_under_shim("io_after_partial", NULL, NULL);
}

/* poll() says an unconnected unix datagram socket is writable while its receiver's queue
 * is full: the blocking sendto must still wait without spinning. */
Test(shim_io, sendto_a_full_datagram_queue_waits_without_spinning)
{
    check_same_under_shim("io_dgram_full", NULL,
                          "CPU time over the wait under half of the wall time: yes\n");
}

Test(shim_io, close_wakes_a_blocked_thread_with_ebadf)
{
    struct run_result r;
    run_io_program(&r, RUN_SHIM, "io_close_wait", NULL);
    expect_ran_to_completion(&r, "io_close_wait", RUN_SHIM);
    cr_expect_str_eq(r.out,
                     "read on an empty pipe, closed by another thread: -1 EBADF\n"
                     "recv on a quiet socket, closed by another thread: -1 EBADF\n"
                     "accept on a listening socket, closed by another thread: -1 EBADF\n"
                     "done\n");
    expect_task_counts(&r, "io_close_wait", RUN_SHIM);
    run_result_free(&r);
}

/* The shim loads libev, which defines libevent 1.x names too (event_base_new,
 * event_base_dispatch, ...): the program must still get libevent's. The native run must
 * find them in libevent, and the shim run must print the same. */
Test(shim_io, libevent_program_keeps_libevent)
{
    check_same_under_shim("libevent_user", NULL, "event_base_new is in libevent");
}
