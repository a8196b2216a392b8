/* Timeout scopes (greenpatch.h: gp_timeout_push, gp_timeout_pop, gp_timeout_left,
 * GP_TIMEOUT_SCOPE; runtime/timeout.h), as units linked with the runtime: the test body is
 * main's flow, and the first push makes it the first green thread. Then a helper program
 * (tests/progs/api_timeout.c) shows intercepted libc calls cut short by a scope, linked with
 * -lgreenpatch and under the preload. No upper bound on any time: a timeout is checked by
 * its error and by the time that did pass. */
#include "clock.h"
#include "greenpatch.h"
#include "harness.h"
#include "hub.h"
#include "init.h"
#include "scheduler.h"
#include "sync.h"
#include "timeout.h"
#include "waitq.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

static void init(void) { cr_assert(gp__init()); }

TestSuite(timeout, .init = init, .timeout = 30);

/* Blocks the OS thread (no green switch: the runtime's units are not interposed) until
 * ns have passed. */
static void pass_time(int64_t ns)
{
    int64_t until = gp__now_ns() + ns;
    struct timespec ts = {0, 1000000};
    while (gp__now_ns() < until)
        nanosleep(&ts, NULL);
}

/* ---- push, pop, left ---------------------------------------------------------------- */

Test(timeout, no_scope_is_forever)
{
    cr_assert_eq(gp_timeout_left(), GP_FOREVER);
    cr_assert_eq(gp_timeout_pop(), EINVAL);
}

Test(timeout, push_makes_main_green_and_opens_a_scope)
{
    cr_assert_eq(gp_self().id, 0);
    cr_assert_eq(gp_timeout_push(GP_SEC(10)), 0);
    cr_assert_neq(gp_self().id, 0, "the push started the scheduler");
    int64_t left = gp_timeout_left();
    cr_assert(left > 0 && left <= GP_SEC(10), "left %lld", (long long)left);
    cr_assert_eq(gp_timeout_pop(), 0);
    cr_assert_eq(gp_timeout_left(), GP_FOREVER);
    cr_assert_eq(gp_timeout_pop(), EINVAL, "nothing left to pop");
}

Test(timeout, inner_scope_is_nearer_and_pop_restores_the_outer)
{
    cr_assert_eq(gp_timeout_push(GP_SEC(20)), 0);
    cr_assert_eq(gp_timeout_push(GP_MSEC(100)), 0);
    cr_assert_leq(gp_timeout_left(), GP_MSEC(100));
    cr_assert_eq(gp_timeout_pop(), 0);
    cr_assert_gt(gp_timeout_left(), GP_SEC(1), "the outer scope's deadline is back");
    cr_assert_eq(gp_timeout_pop(), 0);
}

Test(timeout, inner_scope_never_extends_the_outer)
{
    cr_assert_eq(gp_timeout_push(GP_MSEC(50)), 0);
    cr_assert_eq(gp_timeout_push(GP_SEC(100)), 0);
    cr_assert_leq(gp_timeout_left(), GP_MSEC(50));
    cr_assert_eq(gp_timeout_push(UINT64_MAX), 0, "no overflow in now + nsec");
    cr_assert_leq(gp_timeout_left(), GP_MSEC(50));
    for (int i = 0; i < 3; i++)
        gp_timeout_pop();
}

Test(timeout, too_deep_is_eoverflow)
{
    for (int i = 0; i < GP_TIMEOUT_DEPTH; i++)
        cr_assert_eq(gp_timeout_push(GP_SEC(10 + i)), 0, "level %d", i);
    cr_assert_eq(gp_timeout_push(GP_SEC(1)), EOVERFLOW);
    for (int i = 0; i < GP_TIMEOUT_DEPTH; i++)
        cr_assert_eq(gp_timeout_pop(), 0, "level %d", i);
    cr_assert_eq(gp_timeout_pop(), EINVAL);
}

Test(timeout, pop_says_etimedout_once_the_deadline_passed)
{
    cr_assert_eq(gp_timeout_push(GP_MSEC(1)), 0);
    pass_time(GP_MSEC(3));
    cr_assert_eq(gp_timeout_left(), 0);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT, "even though no wait noticed");
}

Test(timeout, an_expired_inner_scope_leaves_the_outer_running)
{
    cr_assert_eq(gp_timeout_push(GP_SEC(20)), 0);
    cr_assert_eq(gp_timeout_push(GP_MSEC(1)), 0);
    cr_assert_eq(gp_sleep(GP_SEC(20)), ETIMEDOUT);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_assert_gt(gp_timeout_left(), 0);
    cr_assert_eq(gp_sleep(GP_MSEC(1)), 0, "the outer scope has time left");
    cr_assert_eq(gp_timeout_pop(), 0);
}

/* ---- GP_TIMEOUT_SCOPE ------------------------------------------------------------------ */

static int returns_from_inside(int64_t *left_inside)
{
    GP_TIMEOUT_SCOPE(GP_SEC(5));
    *left_inside = gp_timeout_left();
    return 7;
}

Test(timeout, scope_macro_pops_on_return)
{
    int64_t inside = 0;
    cr_assert_eq(returns_from_inside(&inside), 7);
    cr_assert(inside > 0 && inside <= GP_SEC(5));
    cr_assert_eq(gp_timeout_left(), GP_FOREVER);
}

Test(timeout, scope_macro_pops_on_break_and_each_iteration)
{
    int rounds = 0;
    for (int i = 0; i < 5; i++) {
        GP_TIMEOUT_SCOPE(GP_SEC(5));
        cr_assert_neq(gp_timeout_left(), GP_FOREVER);
        rounds++;
        if (i == 2)
            break;
    }
    cr_assert_eq(rounds, 3);
    cr_assert_eq(gp_timeout_left(), GP_FOREVER);
    cr_assert_eq(gp_timeout_pop(), EINVAL, "each scope was popped once");
}

Test(timeout, scope_macro_that_could_not_push_pops_nothing)
{
    cr_assert_eq(gp_timeout_push(GP_SEC(30)), 0);
    for (int i = 1; i < GP_TIMEOUT_DEPTH; i++)
        cr_assert_eq(gp_timeout_push(GP_SEC(30)), 0);
    {
        GP_TIMEOUT_SCOPE(GP_SEC(1)); /* EOVERFLOW: no scope of its own */
    }
    for (int i = 0; i < GP_TIMEOUT_DEPTH; i++)
        cr_assert_eq(gp_timeout_pop(), 0, "level %d still open", i);
    cr_assert_eq(gp_timeout_pop(), EINVAL);
}

/* ---- waits under a scope ---------------------------------------------------------------- */

Test(timeout, sleep_is_cut_short_with_etimedout)
{
    cr_assert_eq(gp_timeout_push(GP_MSEC(20)), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_sleep(GP_SEC(30)), ETIMEDOUT);
    cr_assert_geq(gp__now_ns() - start, GP_MSEC(20));
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_assert_eq(gp_sleep(GP_MSEC(1)), 0, "no scope, no cut");
}

Test(timeout, expired_scope_fails_every_wait_at_once)
{
    cr_assert_eq(gp_timeout_push(GP_MSEC(1)), 0);
    pass_time(GP_MSEC(2));
    static int key;
    /* Bounded loops of waits that all return: a wait whose deadline is past never parks. */
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(gp__waitq_wait(&key, gp__timeout_bound(GP_NO_DEADLINE)), GP_WAKE_TIMEOUT);
        cr_assert(gp__timeout_cut(GP_NO_DEADLINE));
        cr_assert_eq(gp__timeout_check(), -ETIMEDOUT);
        cr_assert_eq(gp_sleep(GP_SEC(30)), ETIMEDOUT);
    }
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_assert_eq(gp__timeout_check(), 0);
}

/* Queues, events and semaphores wait through xwait.c: the scope bounds them too, and the
 * object is left as it was (nothing taken, nobody left on its list). */
Test(timeout, queue_event_and_semaphore_waits_end_at_the_scope)
{
    gp_queue_t *q;
    gp_event_t *e;
    gp_sem_t *s;
    cr_assert_eq(gp_queue_create(&q, 1), 0);
    cr_assert_eq(gp_event_create(&e), 0);
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    cr_assert_eq(gp_queue_put(q, q, 0), 0);
    cr_assert_eq(gp_timeout_push(GP_MSEC(20)), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_queue_put(q, q, GP_FOREVER), ETIMEDOUT, "a full queue");
    cr_assert_geq(gp__now_ns() - start, GP_MSEC(20));
    void *item;
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0, "an item there is taken at once");
    cr_assert_eq(gp_queue_get(q, &item, GP_SEC(30)), ETIMEDOUT, "an empty queue");
    cr_assert_eq(gp_event_wait(e, NULL, GP_FOREVER), ETIMEDOUT);
    cr_assert_eq(gp_sem_acquire(s, GP_FOREVER), ETIMEDOUT);
    cr_assert_eq(gp_sem_acquire(s, 0), EAGAIN, "a try stays a try");
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_assert_eq(gp_queue_destroy(q), 0, "no waiter left behind");
    cr_assert_eq(gp_event_destroy(e), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

static bool flag_set;

static void *set_flag(void *arg)
{
    (void)arg;
    flag_set = true;
    return NULL;
}

/* In a scope whose deadline has passed every wait fails at once, and still gives the others
 * a turn: a loop of such waits, waiting for another thread's work, freezes no one. */
Test(timeout, waits_in_a_passed_scope_still_let_the_others_run)
{
    static const char *const kinds[] = {"gp_sleep", "gp_event_wait", "gp_sem_acquire",
                                        "gp_queue_get (a try)", "gp_join"};
    gp_event_t *e;
    gp_sem_t *s;
    gp_queue_t *q;
    cr_assert_eq(gp_event_create(&e), 0);
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    for (int kind = 0; kind < 5; kind++) {
        flag_set = false;
        gp_thread_t setter;
        cr_assert_eq(gp_spawn(&setter, set_flag, NULL), 0);
        cr_assert_eq(gp_timeout_push(0), 0);
        void *item;
        int r = 0;
        for (int round = 0; !flag_set && round < 1000; round++) {
            switch (kind) {
            case 0: r = gp_sleep(GP_SEC(1)); break;
            case 1: r = gp_event_wait(e, NULL, GP_FOREVER); break;
            case 2: r = gp_sem_acquire(s, GP_FOREVER); break;
            case 3: r = gp_queue_get(q, &item, 0); break;
            default: r = gp_join(setter, NULL); break;
            }
        }
        cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
        cr_expect(flag_set, "%s in a loop kept the setter from running", kinds[kind]);
        cr_expect_eq(r, kind == 3 ? EAGAIN : ETIMEDOUT, "%s", kinds[kind]);
        cr_assert_eq(gp_join(setter, NULL), 0);
    }
    cr_assert_eq(gp_event_destroy(e), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

Test(timeout, a_calls_own_earlier_deadline_keeps_its_natural_result)
{
    cr_assert_eq(gp_timeout_push(GP_SEC(30)), 0);
    static int key;
    int64_t own = gp__deadline_after(GP_MSEC(5));
    cr_assert_eq(gp__timeout_bound(own), own);
    cr_assert_eq(gp__waitq_wait(&key, gp__timeout_bound(own)), GP_WAKE_TIMEOUT);
    cr_assert_not(gp__timeout_cut(own), "the call's own deadline ended it");
    cr_assert_eq(gp__timeout_error(own, -EAGAIN), -EAGAIN);
    cr_assert_eq(gp__timeout_bound(0), 0, "a try stays a try");
    cr_assert_eq(gp_timeout_pop(), 0);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int hold_key;

static void *hold_until_woken(void *arg)
{
    (void)arg;
    cr_assert_eq(gp__mutex_lock(&held, GP_NO_DEADLINE), 0);
    cr_assert_eq(gp_timeout_left(), GP_FOREVER, "a new thread has no scope");
    gp__waitq_wait(&hold_key, GP_NO_DEADLINE);
    cr_assert_eq(gp__mutex_unlock(&held), 0);
    return NULL;
}

Test(timeout, mutex_held_by_another_green_thread_times_out)
{
    gp_thread_t t;
    cr_assert_eq(gp_timeout_push(GP_MSEC(20)), 0);
    cr_assert_eq(gp_spawn(&t, hold_until_woken, NULL), 0);
    gp_yield(); /* it takes the mutex and waits */
    int64_t start = gp__now_ns();
    cr_assert_eq(gp__mutex_lock(&held, gp__timeout_bound(GP_NO_DEADLINE)), -ETIMEDOUT);
    cr_assert_geq(gp__now_ns() - start, GP_MSEC(19));
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    gp__waitq_wake(&hold_key, 1);
    cr_assert_eq(gp__mutex_lock(&held, gp__timeout_bound(GP_NO_DEADLINE)), 0, "no scope now");
    cr_assert_eq(gp__mutex_unlock(&held), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
}

Test(timeout, condition_wait_times_out_with_the_mutex_held)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    cr_assert_eq(gp_timeout_push(GP_MSEC(10)), 0);
    cr_assert_eq(gp__mutex_lock(&m, GP_NO_DEADLINE), 0);
    cr_assert_eq(gp__cond_wait(&c, &m, GP_NO_DEADLINE), -ETIMEDOUT);
    cr_assert_eq(m.__data.__owner, gp__current->lock_id, "relocked, whatever the scope");
    cr_assert_eq(gp__mutex_unlock(&m), 0);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
}

static void *sleep_a_while(void *arg)
{
    gp_sleep((uint64_t)(uintptr_t)arg);
    return arg;
}

Test(timeout, join_times_out_and_the_thread_stays_joinable)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, sleep_a_while, (void *)(uintptr_t)GP_MSEC(100)), 0);
    cr_assert_eq(gp_timeout_push(GP_MSEC(10)), 0);
    cr_assert_eq(gp_join(t, NULL), ETIMEDOUT);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    void *result;
    cr_assert_eq(gp_join(t, &result), 0);
    cr_assert_eq((uintptr_t)result, (uintptr_t)GP_MSEC(100));
}

/* Other green threads go on while one waits in a scope. */
static int ticks;

static void *ticker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        ticks++;
        gp_sleep(GP_MSEC(2));
    }
    return NULL;
}

Test(timeout, others_run_while_a_scoped_wait_lasts)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, ticker, NULL), 0);
    cr_assert_eq(gp_timeout_push(GP_MSEC(30)), 0);
    cr_assert_eq(gp_sleep(GP_SEC(30)), ETIMEDOUT);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_assert_eq(ticks, 5, "the ticker ran to its end meanwhile");
    cr_assert_eq(gp_join(t, NULL), 0);
}

/* ---- callers that are not green threads ------------------------------------------------ */

struct stranger_answers {
    int push, pop;
    int64_t left, bound;
};

static void *stranger(void *arg)
{
    struct stranger_answers *a = arg;
    a->push = gp_timeout_push(GP_SEC(1));
    a->pop = gp_timeout_pop();
    a->left = gp_timeout_left();
    a->bound = gp__timeout_bound(1234);
    return NULL;
}

Test(timeout, other_os_threads_get_eperm_and_no_bound)
{
    cr_assert_eq(gp_timeout_push(GP_MSEC(1)), 0); /* the scheduler runs on this OS thread */
    pass_time(GP_MSEC(2));
    struct stranger_answers a;
    pthread_t os;
    cr_assert_eq(pthread_create(&os, NULL, stranger, &a), 0); /* not interposed: a real one */
    cr_assert_eq(pthread_join(os, NULL), 0);
    cr_assert_eq(a.push, EPERM);
    cr_assert_eq(a.pop, EINVAL);
    cr_assert_eq(a.left, GP_FOREVER);
    cr_assert_eq(a.bound, 1234);
    cr_assert_eq(gp_timeout_pop(), ETIMEDOUT);
}

/* ---- intercepted calls, in a program ------------------------------------------------------ */

static const char program_expected[] =
    "read on a pipe nobody writes: -1 ETIMEDOUT\n"
    "recv on a socket nobody writes: -1 ETIMEDOUT\n"
    "accept with nobody connecting: -1 ETIMEDOUT\n"
    "connect to a full backlog: -1 ETIMEDOUT\n"
    "pthread_mutex_timedlock of a held mutex: ETIMEDOUT\n"
    "pthread_rwlock_timedrdlock of a write-held lock: ETIMEDOUT\n"
    "pthread_mutex_lock and rwlock_rdlock in a passed scope: 0 0\n"
    "pthread_cond_wait: ETIMEDOUT, mutex held: yes\n"
    "sem_timedwait: -1 ETIMEDOUT\n"
    "poll: 0\n"
    "select: 0\n"
    "epoll_wait: 0\n"
    "nanosleep: -1 ETIMEDOUT\n"
    "usleep: -1 ETIMEDOUT\n"
    "sleep: seconds left: yes\n"
    "pthread_join: ETIMEDOUT\n"
    "own SO_RCVTIMEO first: -1 EAGAIN\n"
    "expired scope, 100 reads: all -1 ETIMEDOUT\n"
    "nested: inner ETIMEDOUT, outer 0\n"
    "fgets: NULL ETIMEDOUT, ferror: yes\n"
    "open of a FIFO nobody writes: -1 ETIMEDOUT\n"
    "waitpid of a child that waits: -1 ETIMEDOUT\n"
    "sigwaitinfo: -1 ETIMEDOUT\n"
    "own sigtimedwait timeout first: -1 EAGAIN\n"
    "sleep in a loop in a passed scope lets the others run: yes\n"
    "nanosleep in a cleanup handler and a key destructor of a thread that exited in a "
    "passed scope: 0 0\n"
    "a lone thread's read: -1 ETIMEDOUT\n"
    "the ticker ran during every wait: yes\n";

Test(timeout, linked_program_sees_intercepted_calls_cut_short)
{
    expect_linked_program(RUN_NATIVE, prog_path("api_timeout"), NULL, program_expected);
}

Test(timeout, program_under_the_preload_too)
{
    expect_linked_program(RUN_SHIM, prog_path("api_timeout"), NULL, program_expected);
}
