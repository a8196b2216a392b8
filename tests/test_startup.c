/* What the shim does before a program's first call and at it. The real libc functions
 * behind the interposed names are looked up at their first call (runtime/real.c), so that a
 * program that never makes a thread pays for the names it calls only: each such first call
 * must reach libc with every argument as the program passed it and leave errno as libc
 * does. The helper program (tests/progs/startup_first_calls.c) runs natively and under the
 * shim, without threads and with one. */
#include "harness.h"

#include <criterion/criterion.h>

static const char first_calls_out[] =
    "sched_yield: 0, errno still ERANGE: yes\n"
    "open O_CREAT with mode 0640: yes, mode 640\n"
    "openat O_CREAT with mode 0604: yes, mode 604\n"
    "fcntl F_SETFD FD_CLOEXEC: 0, F_GETFD: 1\n"
    "syscall(SYS_getpid) is getpid(): yes\n"
    "read of fd -1: -1 EBADF\n"
    "getnameinfo, numeric: 0 127.0.0.1 8080\n"
    "gethostbyname2_r of a numeric name: 0, found yes, 127.0.0.1\n";

Test(startup, first_calls_keep_their_arguments_and_errno)
{
    struct run_pair pair;
    run_both_expect(&pair, "startup_first_calls", NULL, NULL, first_calls_out, 0);
    run_pair_free(&pair);
}

Test(startup, first_calls_of_green_threads_keep_their_arguments_and_errno)
{
    struct run_pair pair;
    run_both_expect(&pair, "startup_first_calls", (const char *const[]){"threaded", NULL}, NULL,
                    first_calls_out, 0);
    run_pair_free(&pair);
}
