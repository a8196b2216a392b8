/* The explicit API's green threads (greenpatch.h), linked with the runtime: gp_spawn,
 * gp_spawn_after, gp_join, gp_detach, gp_kill, gp_self, gp_setname/gp_getname, gp_yield
 * and gp_sleep, each call's results and each of its error codes. The test body is main's
 * flow, which the first spawn makes a green thread; Criterion runs every test in a process
 * of its own. pthread_create here is glibc's (no shim): it makes a real OS thread, a
 * stranger to the scheduler.
 *
 * The same calls from a program, linked with -lgreenpatch and under the preload, mixed
 * with pthread_create threads, are at the end (tests/progs/api_threads.c). */
#include "cancel.h"
#include "clock.h"
#include "greenpatch.h"
#include "harness.h"
#include "init.h"
#include "scheduler.h"
#include "waitq.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>

static void init(void) { cr_assert(gp__init()); }

TestSuite(api_threads, .init = init, .timeout = 30);

static void *return_arg(void *arg) { return arg; }

static void *set_flag(void *arg)
{
    *(int *)arg = 1;
    return arg;
}

/* A key that only the test wakes: a wait on it is no cancellation point. */
static int wait_key;

static void *wait_on_key(void *arg)
{
    (void)arg;
    gp__waitq_wait(&wait_key, GP_NO_DEADLINE);
    return (void *)7;
}

/* Starts the scheduler: main is a green thread afterwards. */
static void start_green(void)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_arg, NULL), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
}

/* ---- calls from an OS thread the scheduler does not run ------------------------------- */

struct stranger {
    gp_thread_t target;
    int spawn, join, detach, kill, setname, getname, sleep;
    uint64_t self_id;
    int64_t slept_ns;
};

static void *stranger_calls(void *arg)
{
    struct stranger *s = arg;
    char name[16];
    s->spawn = gp_spawn(NULL, return_arg, NULL);
    s->join = gp_join(s->target, NULL);
    s->detach = gp_detach(s->target);
    s->kill = gp_kill(s->target);
    s->setname = gp_setname(s->target, "x");
    s->getname = gp_getname(s->target, name, sizeof name);
    s->self_id = gp_self().id;
    int64_t start = gp__now_ns();
    s->sleep = gp_sleep(GP_MSEC(5));
    s->slept_ns = gp__now_ns() - start;
    return NULL;
}

Test(api_threads, an_os_thread_that_is_not_green_gets_eperm)
{
    struct stranger s = {0};
    cr_assert_eq(gp_spawn(&s.target, wait_on_key, NULL), 0);
    pthread_t os;
    cr_assert_eq(pthread_create(&os, NULL, stranger_calls, &s), 0);
    cr_assert_eq(pthread_join(os, NULL), 0);
    cr_expect_eq(s.spawn, EPERM);
    cr_expect_eq(s.join, EPERM);
    cr_expect_eq(s.detach, EPERM);
    cr_expect_eq(s.kill, EPERM);
    cr_expect_eq(s.setname, EPERM);
    cr_expect_eq(s.getname, EPERM);
    cr_expect_eq(s.self_id, 0, "not a green thread: no handle");
    cr_expect_eq(s.sleep, 0, "gp_sleep sleeps an OS thread");
    cr_expect_geq(s.slept_ns, GP_MSEC(5));
    gp_yield();
    gp__waitq_wake(&wait_key, 1);
    void *r;
    cr_expect_eq(gp_join(s.target, &r), 0);
    cr_expect_eq(r, (void *)7);
}

/* ---- gp_spawn, gp_self, gp_yield -------------------------------------------------------- */

Test(api_threads, spawn_and_join_give_the_result)
{
    gp_thread_t t;
    int flag = 0;
    cr_assert_eq(gp_spawn(&t, set_flag, &flag), 0);
    cr_expect_neq(t.id, 0);
    cr_expect_eq(flag, 0, "a new thread runs when the caller waits or yields");
    void *r = NULL;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(flag, 1);
    cr_expect_eq(r, &flag);
}

Test(api_threads, spawn_without_a_function_is_einval)
{
    gp_thread_t t = {0};
    cr_expect_eq(gp_spawn(&t, NULL, NULL), EINVAL);
    cr_expect_eq(t.id, 0);
    cr_expect_eq(gp_spawn_after(&t, 0, NULL, NULL), EINVAL);
}

static char order[32];
static size_t order_len;

static void *note_letter_thrice(void *arg)
{
    for (int i = 0; i < 3; i++) {
        order[order_len++] = *(const char *)arg;
        gp_yield();
    }
    return NULL;
}

Test(api_threads, threads_start_in_spawn_order_and_yield_round_robin)
{
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], note_letter_thrice, (void *)("abc" + i)), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_join(t[i], NULL), 0);
    cr_expect_str_eq((order[order_len] = '\0', order), "abcabcabc");
}

static void *my_handle(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)gp_self().id;
}

Test(api_threads, self_is_the_handle_and_none_before_the_scheduler)
{
    cr_expect_eq(gp_self().id, 0, "main is no green thread before the first spawn");
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, my_handle, NULL), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq((uintptr_t)r, t.id);
    gp_thread_t me = gp_self();
    cr_expect_neq(me.id, 0, "main is green now");
    cr_expect(gp_equal(me, gp_self()));
    cr_expect(!gp_equal(me, t));
}

/* ---- gp_join ----------------------------------------------------------------------------- */

Test(api_threads, join_twice_is_esrch)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_arg, (void *)3), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_expect_eq(gp_join(t, NULL), ESRCH);
    cr_expect_eq(gp_detach(t), ESRCH);
    cr_expect_eq(gp_kill(t), ESRCH);
}

Test(api_threads, join_of_no_thread_is_esrch)
{
    start_green();
    cr_expect_eq(gp_join((gp_thread_t){0}, NULL), ESRCH);
    cr_expect_eq(gp_join((gp_thread_t){1u << 30}, NULL), ESRCH);
}

Test(api_threads, join_self_is_edeadlk)
{
    start_green();
    cr_expect_eq(gp_join(gp_self(), NULL), EDEADLK);
}

static gp_thread_t main_handle;

static void *join_main(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)gp_join(main_handle, NULL);
}

/* A joins main; main joining A would wait for ever: EDEADLK. A is then killed in its join,
 * a cancellation point. */
Test(api_threads, joining_ones_joiner_is_edeadlk)
{
    start_green();
    main_handle = gp_self();
    gp_thread_t a;
    cr_assert_eq(gp_spawn(&a, join_main, NULL), 0);
    gp_yield();
    cr_expect_eq(gp_join(a, NULL), EDEADLK);
    cr_assert_eq(gp_kill(a), 0);
    gp_yield(); /* until it has run, it still joins main */
    void *r;
    cr_assert_eq(gp_join(a, &r), 0);
    cr_expect_eq(r, GP_KILLED);
}

Test(api_threads, join_of_a_detached_thread_is_einval)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, wait_on_key, NULL), 0);
    cr_assert_eq(gp_detach(t), 0);
    cr_expect_eq(gp_join(t, NULL), EINVAL);
    gp_yield();
    gp__waitq_wake(&wait_key, 1);
    gp_yield(); /* it ends, detached: its handle is spent */
    cr_expect_eq(gp_join(t, NULL), ESRCH);
}

static gp_thread_t waited;

static void *join_waited(void *arg)
{
    (void)arg;
    void *r = NULL;
    int e = gp_join(waited, &r);
    return e ? (void *)(intptr_t)-e : r;
}

Test(api_threads, join_of_a_thread_another_joins_is_einval)
{
    gp_thread_t joiner;
    cr_assert_eq(gp_spawn(&waited, wait_on_key, NULL), 0);
    cr_assert_eq(gp_spawn(&joiner, join_waited, NULL), 0);
    gp_yield();
    cr_expect_eq(gp_join(waited, NULL), EINVAL);
    gp__waitq_wake(&wait_key, 1);
    void *r;
    cr_assert_eq(gp_join(joiner, &r), 0);
    cr_expect_eq(r, (void *)7, "the first joiner got the result");
}

/* ---- gp_detach -------------------------------------------------------------------------- */

Test(api_threads, detach_twice_is_einval_and_an_ended_detached_thread_is_gone)
{
    gp_thread_t t;
    int flag = 0;
    cr_assert_eq(gp_spawn(&t, set_flag, &flag), 0);
    cr_expect_eq(gp_detach(t), 0);
    cr_expect_eq(gp_detach(t), EINVAL);
    gp_yield();
    cr_expect_eq(flag, 1);
    cr_expect_eq(gp_detach(t), ESRCH);
    cr_expect_eq(gp_kill(t), ESRCH);
}

Test(api_threads, detach_of_an_ended_thread_frees_it)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_arg, NULL), 0);
    gp_yield();
    cr_expect_eq(gp_detach(t), 0);
    cr_expect_eq(gp_join(t, NULL), ESRCH);
}

Test(api_threads, detach_of_a_thread_being_joined_is_einval)
{
    gp_thread_t joiner;
    cr_assert_eq(gp_spawn(&waited, wait_on_key, NULL), 0);
    cr_assert_eq(gp_spawn(&joiner, join_waited, NULL), 0);
    gp_yield();
    cr_expect_eq(gp_detach(waited), EINVAL);
    gp__waitq_wake(&wait_key, 1);
    cr_assert_eq(gp_join(joiner, NULL), 0);
}

/* ---- gp_kill ----------------------------------------------------------------------------- */

static int cleanups;

static void count_cleanup(void *arg)
{
    (void)arg;
    cleanups++;
}

/* Spawns fn(arg), lets it run until it waits or yields, kills it and joins it: what the
 * join gave. */
static void *result_once_killed(void *(*fn)(void *), void *arg)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, fn, arg), 0);
    gp_yield();
    cr_assert_eq(gp_kill(t), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    return r;
}

/* Sleeps long with a cleanup handler pushed (the old protocol, as the runtime registers
 * handlers itself: the test links no shim for pthread_cleanup_push). */
static void *sleep_with_cleanup(void *arg)
{
    struct _pthread_cleanup_buffer b;
    gp__cancel_push_old(&b, count_cleanup, NULL);
    gp_sleep(GP_SEC(5));
    *(int *)arg = 1;
    gp__cancel_pop_old(&b, 0);
    return NULL;
}

Test(api_threads, kill_of_a_sleeping_thread_wakes_it_and_runs_its_cleanup)
{
    int woke = 0;
    cleanups = 0;
    void *r = result_once_killed(sleep_with_cleanup, &woke);
    cr_expect_eq(r, GP_KILLED);
    cr_expect_eq(r, PTHREAD_CANCELED);
    cr_expect_eq(woke, 0, "the sleep did not return");
    cr_expect_eq(cleanups, 1);
}

Test(api_threads, kill_of_a_thread_not_yet_run_means_it_never_runs)
{
    gp_thread_t t;
    int ran = 0;
    cr_assert_eq(gp_spawn(&t, set_flag, &ran), 0);
    cr_assert_eq(gp_kill(t), 0);
    cr_assert_eq(gp_kill(t), 0, "killing again changes nothing");
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_expect_eq(ran, 0);
}

/* Parked in a wait that no wait queue holds (a join): woken and ended there. */
Test(api_threads, kill_of_a_thread_parked_in_a_join)
{
    gp_thread_t joiner;
    cr_assert_eq(gp_spawn(&waited, wait_on_key, NULL), 0);
    cr_assert_eq(gp_spawn(&joiner, join_waited, NULL), 0);
    gp_yield();
    cr_assert_eq(gp_kill(joiner), 0);
    void *r;
    cr_assert_eq(gp_join(joiner, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    gp__waitq_wake(&wait_key, 1);
    cr_assert_eq(gp_join(waited, &r), 0, "the killed joiner let go of it");
    cr_expect_eq(r, (void *)7);
}

static int steps;

static void *wait_then_sleep(void *arg)
{
    (void)arg;
    gp__waitq_wait(&wait_key, GP_NO_DEADLINE);
    steps++;
    gp_sleep(GP_SEC(5));
    steps++;
    return NULL;
}

/* A wait that is no cancellation point is not cut short: the thread ends at its next
 * cancellation point. */
Test(api_threads, kill_acts_at_the_next_cancellation_point)
{
    gp_thread_t t;
    steps = 0;
    cr_assert_eq(gp_spawn(&t, wait_then_sleep, NULL), 0);
    gp_yield();
    cr_assert_eq(gp_kill(t), 0);
    gp_yield();
    cr_expect_eq(steps, 0, "still waiting");
    gp__waitq_wake(&wait_key, 1);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_expect_eq(steps, 1);
}

static void *yield_then_sleep(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        steps++;
        gp_yield();
    }
    gp_sleep(GP_SEC(5));
    steps = -1;
    return NULL;
}

Test(api_threads, kill_of_a_running_thread_ends_it_at_its_next_wait)
{
    steps = 0;
    cr_expect_eq(result_once_killed(yield_then_sleep, NULL), GP_KILLED);
    cr_expect_eq(steps, 5, "killed after its first step; yields are no cancellation points");
}

static void *sleep_with_cancellation_disabled(void *arg)
{
    (void)arg;
    gp__cancel_set_state(PTHREAD_CANCEL_DISABLE, NULL);
    steps = gp_sleep(GP_MSEC(20)) == 0 ? 1 : -1;
    gp__cancel_set_state(PTHREAD_CANCEL_ENABLE, NULL);
    steps++;
    gp_sleep(GP_SEC(5));
    steps = -1;
    return NULL;
}

Test(api_threads, kill_respects_disabled_cancellation)
{
    steps = 0;
    cr_expect_eq(result_once_killed(sleep_with_cancellation_disabled, NULL), GP_KILLED);
    cr_expect_eq(steps, 2, "the first sleep ran to its end, the second was cut short");
}

static void *kill_self(void *arg)
{
    struct _pthread_cleanup_buffer b;
    gp__cancel_push_old(&b, count_cleanup, NULL);
    gp_kill(gp_self());
    *(int *)arg = 1;
    gp__cancel_pop_old(&b, 0);
    return NULL;
}

Test(api_threads, kill_of_the_caller_ends_it_at_once)
{
    gp_thread_t t;
    int went_on = 0;
    cleanups = 0;
    cr_assert_eq(gp_spawn(&t, kill_self, &went_on), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_expect_eq(went_on, 0);
    cr_expect_eq(cleanups, 1);
}

Test(api_threads, kill_of_an_ended_thread_is_0_and_keeps_its_result)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_arg, (void *)5), 0);
    gp_yield();
    cr_expect_eq(gp_kill(t), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, (void *)5);
}

Test(api_threads, kill_of_no_thread_is_esrch)
{
    start_green();
    cr_expect_eq(gp_kill((gp_thread_t){0}), ESRCH);
    cr_expect_eq(gp_kill((gp_thread_t){1u << 30}), ESRCH);
}

/* ---- gp_spawn_after --------------------------------------------------------------------- */

struct deferred_note {
    char letter;
    int64_t at; /* when it ran */
};

static void *note_deferred(void *arg)
{
    struct deferred_note *n = arg;
    n->at = gp__now_ns();
    order[order_len++] = n->letter;
    return arg;
}

Test(api_threads, spawn_after_runs_each_task_once_its_delay_passed_in_delay_order)
{
    struct deferred_note notes[3] = {{'a', 0}, {'b', 0}, {'c', 0}};
    const int64_t delays[3] = {GP_MSEC(30), GP_MSEC(10), GP_MSEC(20)};
    gp_thread_t t[3];
    int64_t start = gp__now_ns();
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn_after(&t[i], (uint64_t)delays[i], note_deferred, &notes[i]), 0);
    gp_yield();
    cr_expect_eq(order_len, 0, "nothing ran before its delay");
    for (int i = 0; i < 3; i++) {
        void *r;
        cr_assert_eq(gp_join(t[i], &r), 0);
        cr_expect_eq(r, &notes[i]);
        cr_expect_geq(notes[i].at - start, delays[i]);
    }
    cr_expect_str_eq((order[order_len] = '\0', order), "bca");
}

Test(api_threads, spawn_after_without_a_delay_runs_as_spawn)
{
    gp_thread_t t;
    int ran = 0;
    cr_assert_eq(gp_spawn_after(&t, 0, set_flag, &ran), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_expect_eq(ran, 1);
}

Test(api_threads, kill_before_the_delay_means_the_task_never_runs)
{
    gp_thread_t soon, later;
    int ran_soon = 0, ran_later = 0;
    cr_assert_eq(gp_spawn_after(&soon, GP_MSEC(10), set_flag, &ran_soon), 0);
    cr_assert_eq(gp_spawn_after(&later, GP_SEC(5), set_flag, &ran_later), 0);
    /* soon is killed before it first ran, later while it waits out its delay. */
    cr_assert_eq(gp_kill(soon), 0);
    gp_yield();
    char name[16];
    cr_expect_eq(gp_getname(later, name, sizeof name), 0, "it exists during its delay");
    cr_assert_eq(gp_kill(later), 0);
    void *r;
    cr_assert_eq(gp_join(soon, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_assert_eq(gp_join(later, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    gp_sleep(GP_MSEC(20));
    cr_expect_eq(ran_soon + ran_later, 0);
}

/* ---- names ------------------------------------------------------------------------------- */

static void *own_name(void *arg)
{
    gp_getname(gp_self(), arg, 16);
    return NULL;
}

Test(api_threads, names_are_set_read_and_inherited)
{
    start_green();
    gp_thread_t me = gp_self();
    cr_assert_eq(gp_setname(me, "parent"), 0);
    char name[16] = "";
    cr_assert_eq(gp_getname(me, name, sizeof name), 0);
    cr_expect_str_eq(name, "parent");
    char kernel[16] = "";
    prctl(PR_GET_NAME, kernel);
    cr_expect_str_eq(kernel, "parent", "main's name is the OS thread's");

    gp_thread_t t;
    char child[16] = "";
    cr_assert_eq(gp_spawn(&t, own_name, child), 0);
    cr_assert_eq(gp_setname(t, "child"), 0);
    cr_assert_eq(gp_getname(t, name, sizeof name), 0);
    cr_expect_str_eq(name, "child");
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_expect_str_eq(child, "child");
    cr_expect_eq(gp_setname(t, "x"), ESRCH, "a joined thread has no name");
    cr_expect_eq(gp_getname(t, name, sizeof name), ESRCH);

    cr_assert_eq(gp_spawn(&t, own_name, child), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_expect_str_eq(child, "parent", "a new thread starts with its creator's name");
}

Test(api_threads, names_too_long_or_buffers_too_short_are_erange)
{
    start_green();
    gp_thread_t me = gp_self();
    cr_expect_eq(gp_setname(me, "0123456789abcdef"), ERANGE, "16 bytes and a NUL");
    cr_assert_eq(gp_setname(me, "0123456789abcde"), 0, "15 is the most");
    char name[16];
    cr_expect_eq(gp_getname(me, name, 15), ERANGE, "no room for the NUL");
    cr_assert_eq(gp_getname(me, name, 16), 0);
    cr_expect_str_eq(name, "0123456789abcde");
    cr_assert_eq(gp_setname(me, "ab"), 0);
    cr_expect_eq(gp_getname(me, name, 2), ERANGE);
    cr_assert_eq(gp_getname(me, name, 3), 0);
    cr_expect_str_eq(name, "ab");
    cr_expect_eq(gp_setname(me, NULL), EINVAL);
    cr_expect_eq(gp_getname(me, NULL, 16), EINVAL);
}

/* ---- gp_sleep ---------------------------------------------------------------------------- */

static void *count_while_others_sleep(void *arg)
{
    for (int i = 0; i < 3; i++) {
        ++*(int *)arg;
        gp_sleep(GP_MSEC(1));
    }
    return NULL;
}

Test(api_threads, sleep_lets_the_others_run_and_lasts_its_time)
{
    gp_thread_t t;
    int count = 0;
    cr_assert_eq(gp_spawn(&t, count_while_others_sleep, &count), 0);
    int64_t start = gp__now_ns();
    cr_expect_eq(gp_sleep(GP_MSEC(30)), 0);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(30));
    cr_expect_eq(count, 3);
    cr_assert_eq(gp_join(t, NULL), 0);
}

Test(api_threads, sleep_0_lets_the_others_run_once)
{
    gp_thread_t t;
    int count = 0;
    cr_assert_eq(gp_spawn(&t, count_while_others_sleep, &count), 0);
    cr_expect_eq(gp_sleep(0), 0);
    cr_expect_eq(count, 1);
    cr_assert_eq(gp_join(t, NULL), 0);
}

Test(api_threads, sleep_before_the_scheduler_sleeps_the_os_thread)
{
    int64_t start = gp__now_ns();
    cr_expect_eq(gp_sleep(GP_MSEC(5)), 0);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(5));
    cr_expect_eq(gp_self().id, 0, "and does not start the scheduler");
}

/* ---- the same from a program: linked with -lgreenpatch, and under the preload ---------- */

static const char program_expected[] =
    "deferred tasks ran in delay order: bca, each gave its result: yes\n"
    "a deferred task killed during its delay: killed yes\n"
    "kill of a sleeping green thread: 0, killed yes; one not yet started never ran: yes\n"
    "gp_kill of a pthread thread in read(): 0, pthread_join gives PTHREAD_CANCELED: yes\n"
    "cleanup handlers ran: 2\n"
    "a green thread joined a pthread thread's gp_self: from pthread\n"
    "its handle is spent: No such process\n"
    "names: inherited api-main, set worker-1, too long: Numerical result out of range\n"
    "a pool of 3 ran 9 calls, at most 3 at once; busy pool destroyed: Device or resource busy\n"
    "pile results: a b c d, then: No such file or directory\n"
    "kill of an ended thread: 0\n"
    "join twice: No such process\n"
    "join self: Resource deadlock avoided\n"
    "join detached: Invalid argument\n"
    "kill of no thread: No such process\n";

Test(api_threads, program_linked_with_the_library)
{
    expect_linked_program(RUN_NATIVE, prog_path("api_threads"), NULL, program_expected);
}

Test(api_threads, program_under_the_preload)
{
    expect_linked_program(RUN_SHIM, prog_path("api_threads"), NULL, program_expected);
}

/* ---- waits cut short by the timeout scope (runtime/timeout.c, once it is there) -------- */
#if __has_include("timeout.h")

Test(api_threads, sleep_in_a_timeout_scope_ends_with_etimedout)
{
    start_green();
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_timeout_push(GP_MSEC(10)), 0);
    cr_expect_eq(gp_sleep(GP_MSEC(1)), 0, "within the scope");
    cr_expect_eq(gp_sleep(GP_SEC(5)), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(10));
    cr_expect_eq(gp_sleep(GP_SEC(5)), ETIMEDOUT, "past the deadline: at once");
    cr_expect_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_expect_eq(gp_sleep(GP_MSEC(1)), 0, "no scope any more");
}

Test(api_threads, join_in_a_timeout_scope_ends_with_etimedout)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, wait_on_key, NULL), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_timeout_push(GP_MSEC(10)), 0);
    cr_expect_eq(gp_join(t, NULL), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(10));
    cr_expect_eq(gp_timeout_pop(), ETIMEDOUT);
    gp__waitq_wake(&wait_key, 1);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0, "still joinable");
    cr_expect_eq(r, (void *)7);
}

/* A deferred task's delay is its own: the creator's scope does not cut it short. */
Test(api_threads, spawn_after_delay_is_not_cut_by_the_creators_scope)
{
    start_green();
    gp_thread_t t;
    int ran = 0;
    cr_assert_eq(gp_timeout_push(GP_MSEC(5)), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_spawn_after(&t, GP_MSEC(20), set_flag, &ran), 0);
    cr_expect_eq(gp_sleep(GP_SEC(5)), ETIMEDOUT);
    gp_timeout_pop();
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_expect_eq(ran, 1);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(20));
}

#endif
