/* The thread life cycle under the shim: thread-specific data and its destructors, cleanup
 * handlers (the __sigsetjmp protocol of C, cleanup attributes of C with -fexceptions, the
 * pre-2.3.3 functions, C++ destructors), pthread_exit and deferred cancellation (at every
 * cancellation point the shim covers), names, and the glibc functions that take a
 * pthread_t. Each helper program (tests/progs/thr_*, cancel_points) runs natively and
 * under the shim: stdout must be what the test expects, byte for byte, in both runs, and
 * under the shim every thread runs on one OS thread. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what each program prints ---- */

/* thread-specific data */

static const char thr_keys_out[] =
    "thr_keys start\n"
    "first thread: key made before: NULL\n"
    "first thread: first thread's value of the key made before; first thread's value of the "
    "key made after\n"
    "main: main's value; key made after: NULL\n"
    "main through glibc's own function: main's value; main's value of the key made after\n"
    "first thread ends:\n"
    "first thread: still first thread's value of the key made before\n"
    "  destructor: first thread's value of the key made before\n"
    "  destructor: first thread's value of the key made after\n"
    "rounds thread ends:\n"
    "  destructor: rounds thread's value of the key made after\n"
    "  destructor: value of chain_from (own slot NULL: yes), stores a value in another key\n"
    "  destructor: value of again, call 1, stores its value again\n"
    "  destructor: set by a destructor\n"
    "  destructor: value of again, call 2, stores its value again\n"
    "  destructor: value of again, call 3, stores its value again\n"
    "  destructor: value of again, call 4, stores its value again\n"
    "PTHREAD_DESTRUCTOR_ITERATIONS: 4, calls of the one that stores again: 4\n"
    "pthread_key_delete: 0, again: EINVAL\n"
    "after pthread_key_delete: getspecific: NULL, setspecific: EINVAL\n"
    "setspecific on key 1024: EINVAL, getspecific on key 5000: NULL\n"
    "40 keys set and read back: yes\n"
    "their destructors ran: 40\n"
    "pthread_key_create past the limit: EAGAIN, below 1024 keys: yes\n"
    "sleeping destructors of each thread: ?x ?x\n"
    "tss_create: thrd_success\n"
    "tss thread: tss_get before tss_set: NULL\n"
    "tss thread: tss_set: thrd_success\n"
    "tss thread: tss_get: tss value\n"
    "  tss destructor: tss value\n"
    "main: tss_get: main's tss value\n"
    "thr_keys done\n";

/* cleanup handlers and pthread_exit */

static const char thr_cleanup_out[] =
    "thr_cleanup start\n"
    "pthread_exit from a called function:\n"
    "  handler: 3 (popped with execute)\n"
    "  handler: 4 (pushed in a called function)\n"
    "  handler: 2\n"
    "  handler: 1 (outermost)\n"
    "  destructor: value of the exiting thread\n"
    "join: the value given to pthread_exit\n"
    "return from the start routine:\n"
    "  destructor: value of the returning thread\n"
    "join: the value returned\n"
    "sleeping handlers of thread 0 ran as: cba, join value right: yes\n"
    "sleeping handlers of thread 1 ran as: cba, join value right: yes\n"
    "push_defer_np:\n"
    "  type while pushed: deferred\n"
    "  type inside push_defer_np: asynchronous\n"
    "  type after pop_restore_np: asynchronous\n"
    "old protocol and pthread_exit:\n"
    "  handler: old protocol, popped with execute\n"
    "  handler: old protocol, inner\n"
    "  handler: old protocol, outer\n"
    "main calls pthread_exit:\n"
    "  handler: main's, pushed after\n"
    "  handler: main's, pushed before the first thread\n"
    "  destructor: main's value\n"
    "a thread joins main: 0, value right: yes\n"
    "atexit handler ran\n";

/* cancellation */

/* The lines for a thread cancelled in a blocking call (thr_cancel's cancel_blocked). */
#define CANCELLED_IN(call)                                                                    \
    "cancel a thread blocked in " call ":\n"                                                  \
    "  cleanup handler: " call "\n"                                                           \
    "  destructor: " call "\n"                                                                \
    "  pthread_cancel: 0, join: PTHREAD_CANCELED\n"

#define CANCELLED_IN_COND_WAIT(call)                                                          \
    "cancel a thread blocked in " call ":\n"                                                  \
    "  cleanup handler: unlocks the mutex: 0\n"                                               \
    "  cleanup handler: " call "\n"                                                           \
    "  destructor: " call "\n"                                                                \
    "  pthread_cancel: 0, join: PTHREAD_CANCELED\n"

static const char thr_cancel_out[] =
    "thr_cancel start\n"
    CANCELLED_IN("sleep")
    CANCELLED_IN("usleep")
    CANCELLED_IN("nanosleep")
    CANCELLED_IN("clock_nanosleep")
    CANCELLED_IN("read")
    CANCELLED_IN("write to a full pipe")
    CANCELLED_IN("recv")
    CANCELLED_IN("send to a full socket")
    CANCELLED_IN("accept")
    CANCELLED_IN_COND_WAIT("pthread_cond_wait")
    CANCELLED_IN_COND_WAIT("pthread_cond_timedwait")
    "the mutex is free after: 0\n"
    CANCELLED_IN("pthread_join")
    "the thread it joined is still joinable: yes\n"
    "cancellation disabled while the request comes:\n"
    "  state was: enabled\n"
    "  usleep while disabled: 0\n"
    "  enabled again (state was disabled); pthread_testcancel next\n"
    "  cleanup handler: disabled, then testcancel\n"
    "  join: PTHREAD_CANCELED\n"
    "a thread cancels itself (deferred):\n"
    "  pthread_cancel(pthread_self()): 0, still running\n"
    "  cleanup handler: cancelled itself, deferred\n"
    "  join: PTHREAD_CANCELED\n"
    "a thread cancels itself (asynchronous):\n"
    "  type was: deferred\n"
    "  cleanup handler: cancelled itself, asynchronous\n"
    "  join: PTHREAD_CANCELED\n"
    "the asynchronous type set while disabled, then enabled:\n"
    "  asynchronous while disabled: not cancelled yet\n"
    "  cleanup handler: enabled with the asynchronous type\n"
    "  join: PTHREAD_CANCELED\n"
    "cancel a thread that has ended: 0, join: its own value\n"
    "main is cancelled while it sleeps:\n"
    "  cleanup handler: main's\n"
    "a thread joins the cancelled main: 0, PTHREAD_CANCELED\n"
    "atexit handler ran\n";

/* The other cancellation points (cancel_points): a thread cancelled in a call, or at the
 * entry of one with the request pending. */
#define CANCELLED_AT(call)                                                                    \
    "  cleanup handler: " call "\n"                                                           \
    "  pthread_cancel: 0, join: PTHREAD_CANCELED\n"
#define BLOCKED_IN(call) "cancel a thread blocked in " call ":\n" CANCELLED_AT(call)
#define PENDING_AT(call) "a request pending when " call " starts:\n" CANCELLED_AT(call)

static const char cancel_points_out[] =
    "cancel_points start\n"
    BLOCKED_IN("poll")
    BLOCKED_IN("ppoll")
    BLOCKED_IN("select")
    BLOCKED_IN("pselect")
    BLOCKED_IN("epoll_wait")
    BLOCKED_IN("splice")
    BLOCKED_IN("recvmmsg")
    BLOCKED_IN("eventfd_read")
    "  the counter is all there after: 5\n"
    BLOCKED_IN("mq_receive")
    BLOCKED_IN("open of a FIFO")
    "  a writer's open finds no reader left: ENXIO\n"
    BLOCKED_IN("sem_wait")
    BLOCKED_IN("sem_timedwait")
    "  the token is still there: yes\n"
    BLOCKED_IN("waitpid")
    "  the child is not reaped: yes\n"
    "  then it is: yes\n"
    BLOCKED_IN("sigwait")
    BLOCKED_IN("sigwaitinfo")
    BLOCKED_IN("pause")
    BLOCKED_IN("sigsuspend")
    "cancel a thread blocked in system:\n"
    "  the shell says: started\n"
    CANCELLED_AT("system")
    "  the shell was killed: yes\n"
    "  SIGINT's action is back: yes\n"
    "cancel a thread blocked in msgrcv, then remove the queue:\n"
    CANCELLED_AT("msgrcv")
    BLOCKED_IN("fgets on a pipe")
    "  then the stream reads: after\n"
    "  error flag: no\n"
    BLOCKED_IN("fprintf to a full pipe")
    "  then the pipe gets 11 bytes:\n"
    "line\n"
    "after\n"
    "  error flag: no\n"
    "a handler jumps out of fgets, then the thread is cancelled in fgets again:\n"
    "  the handler jumped out of fgets\n"
    CANCELLED_AT("fgets again")
    PENDING_AT("pread")
    PENDING_AT("pwrite")
    PENDING_AT("fsync")
    PENDING_AT("fdatasync")
    PENDING_AT("open")
    PENDING_AT("sem_wait with a token")
    "  the token is still there: yes\n"
    "fgets fills the buffer: one\n"
    "a request pending when fgets with a line buffered starts:\n"
    "  fgets from the buffer returned: two\n"
    CANCELLED_AT("fgets with a line buffered")
    "cancel a thread blocked in syscall(SYS_read), then write a byte:\n"
    "  syscall(SYS_read) returned 1\n"
    CANCELLED_AT("syscall(SYS_read)")
    "cancel_points done\n";

/* C++ */

static const char thr_cxx_out[] =
    "thr_cxx start\n"
    "pthread_exit two calls deep:\n"
    "  destructor: inner (the function that calls pthread_exit)\n"
    "  destructor: outer (the start routine)\n"
    "  join: 7\n"
    "catch (abi::__forced_unwind &):\n"
    "  destructor: inside the try\n"
    "  catch (abi::__forced_unwind &): rethrows\n"
    "  destructor: outside the try\n"
    "catch (...):\n"
    "  destructor: inside the try\n"
    "  catch (...): rethrows\n"
    "pthread_cleanup_push in C++:\n"
    "  destructor: inside the handler's scope\n"
    "  cleanup handler: pushed in C++\n"
    "  destructor: outside the handler\n"
    "cancelled while it sleeps:\n"
    "  destructor: of the sleeping thread\n"
    "  join: PTHREAD_CANCELED\n"
    "an exception caught in a thread, then pthread_exit:\n"
    "  destructor: unwound by the exception\n"
    "  caught: thrown in a thread\n"
    "  destructor: of the thread that threw\n"
    "  join: 3\n"
    "a std::thread calls pthread_exit:\n"
    "  destructor: in the std::thread's function\n"
    "  std::thread joined\n"
    "main calls pthread_exit:\n"
    "  destructor: on main's stack\n"
    "a thread joins main: value 9\n";

/* names, attributes, and the other functions that take a pthread_t */

/* The lines of thr_names's named_worker, made by main while main's name is main_name. */
#define NAMED_WORKER(main_name)                                                               \
    "a thread made by main, at its start: 0 " main_name "\n"                                  \
    "setname worker-one: 0\n"                                                                 \
    "its name then: 0 worker-one\n"                                                           \
    "setname with 16 bytes: ERANGE\n"                                                         \
    "setname with 15 bytes: 0\n"                                                              \
    "getname into 15 bytes: ERANGE\n"                                                         \
    "a thread made by worker-one: 0 worker-one\n"

static const char thr_names_out[] =
    "thr_names start\n"
    "main: 0 thr_names\n"
    NAMED_WORKER("thr_names")
    "main reads worker-one's name: 0 worker-one\n"
    "main's own, unchanged: 0 thr_names\n"
    "main renames itself: 0\n"
    "main's name: 0 renamed-main\n"
    "/proc/self/comm: renamed-main\n"
    "a thread made by the renamed main: 0 renamed-main\n"
    "256 KiB stack, 64 KiB guard: stack 256 KiB, a local inside it: yes, guard 64 KiB, "
    "joinable, SCHED_OTHER priority 0, affinity as the kernel's: yes\n"
    "a default thread's stack is the default size: yes\n"
    "program-supplied stack reads back: yes, guard 0\n"
    "created detached: stack 256 KiB, a local inside it: yes, guard 4 KiB, detached, "
    "SCHED_OTHER priority 0, affinity as the kernel's: yes\n"
    "detached itself: stack 256 KiB, a local inside it: yes, guard 4 KiB, detached, "
    "SCHED_OTHER priority 0, affinity as the kernel's: yes\n"
    NAMED_WORKER("renamed-main")
    "getschedparam of another thread: 0, SCHED_OTHER, priority 0\n"
    "setschedparam SCHED_OTHER 0: 0, setschedprio 0: 0, setschedprio 5: EINVAL\n"
    "getaffinity of another thread: 0, as main's: yes, setaffinity to it: 0\n"
    "getcpuclockid of another thread: 0, readable: yes\n"
    "pthread_sigqueue: 0, handler ran on the target: yes, value 42, SI_QUEUE: yes\n"
    "pthread_sigqueue to a thread that has ended: ESRCH\n"
    "pthread_getattr_np of that thread before its join: 0, the stack it had: yes\n"
    "thr_names done\n";

/* ---- the programs ---- */

static const struct {
    const char *prog;
    const char *out;
    const char *where;    /* its report of the OS thread count, with two threads alive */
    bool cancels_blocked; /* cancels threads blocked inside calls the shim interposes */
} thr_progs[] = {
    {"thr_keys", thr_keys_out, "first-alive", false},
    {"thr_cleanup", thr_cleanup_out, "exiting-thread", false},
    /* thr_cleanup.c built with -fexceptions: the handlers are cleanup attributes that the
     * unwinder runs itself, where the plain build's unwinding jumps into __sigsetjmp
     * buffers. The same output. */
    {"thr_cleanup_eh", thr_cleanup_out, "exiting-thread", false},
    {"thr_cancel", thr_cancel_out, "target-blocked", true},
    {"cancel_points", cancel_points_out, "target-blocked", true},
    {"thr_cxx", thr_cxx_out, "sleeper-alive", true},
    {"thr_names", thr_names_out, "worker-alive", false},
};
enum { THR_PROGS = sizeof thr_progs / sizeof thr_progs[0] };

/* Runs prog (a name in thr_progs) natively and under the shim: the same output, the one
 * the test expects, and natively two OS threads where the program reports, under the shim
 * one. */
static void check_native_and_shim(const char *prog)
{
    size_t i = 0;
    while (strcmp(thr_progs[i].prog, prog) != 0)
        i++;
    struct run_pair pair;
    run_both_expect(&pair, prog, NULL, NULL, thr_progs[i].out, 0);
    expect_os_threads(&pair, prog, thr_progs[i].where, 2);
    run_pair_free(&pair);
}

TestSuite(threads, .timeout = 60);

Test(threads, keys_values_per_thread_and_destructor_rounds) { check_native_and_shim("thr_keys"); }
Test(threads, cleanup_handlers_then_destructors_c_protocol) { check_native_and_shim("thr_cleanup"); }
Test(threads, cleanup_handlers_then_destructors_fexceptions) { check_native_and_shim("thr_cleanup_eh"); }
Test(threads, cancellation_in_blocking_calls_and_state_rules) { check_native_and_shim("thr_cancel"); }
Test(threads, cancellation_at_every_covered_point) { check_native_and_shim("cancel_points"); }
Test(threads, cxx_destructors_on_exit_and_cancel) { check_native_and_shim("thr_cxx"); }
Test(threads, names_attributes_scheduling_affinity_sigqueue) { check_native_and_shim("thr_names"); }

/* Runs every program but skip (and, when skip_cancelling, those that cancel blocked
 * threads) under the shim with setting; each must print what it prints natively, exit 0,
 * and report os_threads at its point of report. */
static void run_all_with(const char *setting, int os_threads, const char *skip,
                         bool skip_cancelling)
{
    for (size_t i = 0; i < THR_PROGS; i++) {
        const char *prog = thr_progs[i].prog;
        if ((skip && strcmp(prog, skip) == 0) || (skip_cancelling && thr_progs[i].cancels_blocked))
            continue;
        struct run_result r;
        run_under_shim_with(&r, prog, NULL, setting, NULL);
        cr_expect_str_eq(r.out, thr_progs[i].out, "%s with %s\nstderr:\n%s", prog, setting, r.err);
        cr_expect_eq(r.exit_code, 0, "%s with %s: exit %d, signal %d\nstderr:\n%s", prog, setting,
                     r.exit_code, r.term_signal, r.err);
        cr_expect_eq(reported_os_threads(&r, thr_progs[i].where), os_threads,
                     "%s with %s: OS threads at %s\nstderr:\n%s", prog, setting,
                     thr_progs[i].where, r.err);
        run_result_free(&r);
    }
}

/* Unwinding and the destructors need little stack: all of it fits green threads of 64 KiB
 * (the unwinder's frames come on top of the deepest frame of the thread). thr_names is the
 * one that reads back the default stack size, which the setting changes. */
Test(threads, exit_and_cancel_fit_small_stacks)
{
    run_all_with("GREENPATCH_STACK_SIZE=64k", 1, "thr_names", false);
}

/* GREENPATCH_DISABLE=1: every one of these calls goes to glibc, with OS threads. In the
 * ASan build the programs that cancel blocked OS threads are left out: glibc's forced
 * unwinding of such a thread passes through the shim's instrumented pass-through frames
 * and ends with a jump ASan does not see, and ASan then trips over the poison those frames
 * left on the stack (an artefact of instrumenting the shim, not a fault of the calls). */
Test(threads, disabled_shim_passes_everything_to_glibc)
{
    run_all_with("GREENPATCH_DISABLE=1", 2, NULL, sanitized_build());
}
