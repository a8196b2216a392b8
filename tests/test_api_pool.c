/* Pools and piles of the explicit API (greenpatch.h: eventlet's GreenPool and GreenPile),
 * linked with the runtime: the size limit really holds (the most calls seen running at
 * once), a spawner into a full pool waits, waitall, the counts, results in submission
 * order when later calls finish first, a killed call's GP_KILLED, and every error code.
 * Each test is a process of its own; the first spawn makes main a green thread. */
#include "clock.h"
#include "greenpatch.h"
#include "harness.h"
#include "init.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

static void init(void) { cr_assert(gp__init()); }

TestSuite(api_pool, .init = init, .timeout = 30);

static int running, most_running, finished;

/* Sleeps arg milliseconds, counting how many such calls run at once. Returns arg. */
static void *counted_sleep(void *arg)
{
    if (++running > most_running)
        most_running = running;
    gp_sleep(GP_MSEC((uintptr_t)arg));
    running--;
    finished++;
    return arg;
}

static void *return_arg(void *arg) { return arg; }

static void *sleep_long(void *arg)
{
    gp_sleep(GP_SEC(5));
    return arg;
}

static gp_pool_t *new_pool(size_t size)
{
    gp_pool_t *pool = NULL;
    cr_assert_eq(gp_pool_create(&pool, size), 0);
    cr_assert_not_null(pool);
    return pool;
}

/* ---- pools ------------------------------------------------------------------------------- */

Test(api_pool, create_rejects_size_0_and_null)
{
    gp_pool_t *pool = NULL;
    cr_expect_eq(gp_pool_create(&pool, 0), EINVAL);
    cr_expect_null(pool);
    cr_expect_eq(gp_pool_create(NULL, 1), EINVAL);
    cr_expect_eq(gp_pool_spawn(NULL, return_arg, NULL, 0), EINVAL);
    cr_expect_eq(gp_pool_waitall(NULL, 0), EINVAL);
    cr_expect_eq(gp_pool_destroy(NULL), EINVAL);
    cr_expect_eq(gp_pool_running(NULL), 0);
    cr_expect_eq(gp_pool_free(NULL), 0);
}

Test(api_pool, the_size_limit_holds_and_a_spawner_waits_for_room)
{
    gp_pool_t *pool = new_pool(3);
    for (uintptr_t i = 0; i < 10; i++) {
        cr_assert_eq(gp_pool_spawn(pool, counted_sleep, (void *)(2 + i % 3), GP_FOREVER), 0);
        cr_expect_leq(gp_pool_running(pool), 3);
    }
    cr_expect_geq(finished, 7, "each spawn beyond 3 waited for a call to end");
    cr_assert_eq(gp_pool_waitall(pool, GP_FOREVER), 0);
    cr_expect_eq(finished, 10);
    cr_expect_eq(most_running, 3, "never more than the size at once, and the size reached");
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

Test(api_pool, running_and_free_count_the_calls)
{
    gp_pool_t *pool = new_pool(4);
    cr_expect_eq(gp_pool_running(pool), 0);
    cr_expect_eq(gp_pool_free(pool), 4);
    cr_assert_eq(gp_pool_spawn(pool, counted_sleep, (void *)10, 0), 0);
    cr_assert_eq(gp_pool_spawn(pool, counted_sleep, (void *)10, 0), 0);
    cr_expect_eq(gp_pool_running(pool), 2, "counted from the spawn on, before they run");
    cr_expect_eq(gp_pool_free(pool), 2);
    cr_assert_eq(gp_pool_waitall(pool, GP_FOREVER), 0);
    cr_expect_eq(gp_pool_running(pool), 0);
    cr_expect_eq(gp_pool_free(pool), 4);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

Test(api_pool, spawn_into_a_full_pool_with_a_timeout)
{
    gp_pool_t *pool = new_pool(1);
    cr_assert_eq(gp_pool_spawn(pool, sleep_long, NULL, 0), 0);
    cr_expect_eq(gp_pool_spawn(pool, return_arg, NULL, 0), EAGAIN, "full, and only a try");
    int64_t start = gp__now_ns();
    cr_expect_eq(gp_pool_spawn(pool, return_arg, NULL, GP_MSEC(20)), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(20));
    cr_expect_eq(gp_pool_running(pool), 1, "nothing was started");
    cr_expect_eq(gp_pool_spawn(pool, NULL, NULL, 0), EINVAL);
    cr_expect_eq(gp_pool_spawn(pool, return_arg, NULL, -2), EINVAL, "no such timeout");
}

Test(api_pool, waitall_waits_for_every_call)
{
    gp_pool_t *pool = new_pool(8);
    cr_expect_eq(gp_pool_waitall(pool, 0), 0, "an idle pool: at once");
    for (uintptr_t i = 1; i <= 5; i++)
        cr_assert_eq(gp_pool_spawn(pool, counted_sleep, (void *)i, GP_FOREVER), 0);
    cr_expect_eq(gp_pool_waitall(pool, 0), EAGAIN, "a try while calls run");
    cr_assert_eq(gp_pool_waitall(pool, GP_SEC(10)), 0);
    cr_expect_eq(finished, 5);
    cr_expect_eq(gp_pool_running(pool), 0);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

Test(api_pool, waitall_times_out)
{
    gp_pool_t *pool = new_pool(2);
    cr_assert_eq(gp_pool_spawn(pool, sleep_long, NULL, 0), 0);
    int64_t start = gp__now_ns();
    cr_expect_eq(gp_pool_waitall(pool, GP_MSEC(20)), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(20));
}

static gp_pool_t *the_pool;

static void *waitall_inside(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)gp_pool_waitall(the_pool, GP_FOREVER);
}

static void *pile_next_inside(void *arg)
{
    return (void *)(intptr_t)gp_pile_next(arg, NULL, GP_FOREVER);
}

Test(api_pool, waitall_from_one_of_its_calls_is_edeadlk)
{
    the_pool = new_pool(2);
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, the_pool), 0);
    cr_assert_eq(gp_pool_spawn(the_pool, waitall_inside, NULL, 0), 0);
    cr_assert_eq(gp_pile_spawn(pile, waitall_inside, NULL, 0), 0);
    cr_assert_eq(gp_pool_waitall(the_pool, GP_FOREVER), 0);
    void *r;
    cr_assert_eq(gp_pile_next(pile, &r, 0), 0);
    cr_expect_eq((intptr_t)r, EDEADLK, "a pile's call is one of its pool's too");
    cr_expect_eq(gp_pile_destroy(pile), 0);
    cr_expect_eq(gp_pool_destroy(the_pool), 0);
}

Test(api_pool, destroy_while_calls_run_is_ebusy)
{
    gp_pool_t *pool = new_pool(2);
    cr_assert_eq(gp_pool_spawn(pool, counted_sleep, (void *)5, 0), 0);
    cr_expect_eq(gp_pool_destroy(pool), EBUSY);
    cr_assert_eq(gp_pool_waitall(pool, GP_FOREVER), 0);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

Test(api_pool, destroy_while_a_pile_uses_it_is_ebusy)
{
    gp_pool_t *pool = new_pool(2);
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, pool), 0);
    cr_expect_eq(gp_pool_destroy(pool), EBUSY);
    cr_assert_eq(gp_pile_destroy(pile), 0);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

static void *kill_self(void *arg)
{
    gp_kill(gp_self());
    return arg;
}

Test(api_pool, a_killed_call_gives_its_room_back)
{
    gp_pool_t *pool = new_pool(1);
    cr_assert_eq(gp_pool_spawn(pool, kill_self, NULL, 0), 0);
    cr_assert_eq(gp_pool_spawn(pool, return_arg, NULL, GP_SEC(10)), 0);
    cr_assert_eq(gp_pool_waitall(pool, GP_FOREVER), 0);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

static void *spawn_into(void *arg)
{
    return (void *)(intptr_t)gp_pool_spawn(arg, return_arg, NULL, GP_FOREVER);
}

/* Waiting for room is a cancellation point, and the killed waiter no longer counts. */
Test(api_pool, kill_of_a_thread_waiting_for_room)
{
    gp_pool_t *pool = new_pool(1);
    cr_assert_eq(gp_pool_spawn(pool, sleep_long, NULL, 0), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, spawn_into, pool), 0);
    gp_yield();
    cr_assert_eq(gp_kill(t), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_expect_eq(gp_pool_running(pool), 1, "it started nothing");
}

struct stranger {
    gp_pool_t *pool;
    gp_pile_t *pile;
    int spawn, waitall, pile_spawn, pile_next;
};

static void *stranger_calls(void *arg)
{
    struct stranger *s = arg;
    s->spawn = gp_pool_spawn(s->pool, return_arg, NULL, 0);
    s->waitall = gp_pool_waitall(s->pool, 0);
    s->pile_spawn = gp_pile_spawn(s->pile, return_arg, NULL, 0);
    s->pile_next = gp_pile_next(s->pile, NULL, 0);
    return NULL;
}

Test(api_pool, an_os_thread_that_is_not_green_gets_eperm)
{
    struct stranger s = {.pool = new_pool(2)};
    cr_assert_eq(gp_pile_create(&s.pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(s.pile, return_arg, NULL, 0), 0); /* starts the scheduler */
    pthread_t os;
    cr_assert_eq(pthread_create(&os, NULL, stranger_calls, &s), 0);
    cr_assert_eq(pthread_join(os, NULL), 0);
    cr_expect_eq(s.spawn, EPERM);
    cr_expect_eq(s.waitall, EPERM);
    cr_expect_eq(s.pile_spawn, EPERM);
    cr_expect_eq(s.pile_next, EPERM);
}

/* ---- piles ------------------------------------------------------------------------------- */

static char letters[16];
static size_t letters_len;

/* Sleeps as many milliseconds as its letter's distance from 'e', then notes it. */
static void *late_letter(void *arg)
{
    char c = (char)(uintptr_t)arg;
    gp_sleep(GP_MSEC(3 * ('e' - c)));
    letters[letters_len++] = c;
    return arg;
}

Test(api_pool, pile_results_come_in_submission_order_when_later_calls_finish_first)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    for (char c = 'a'; c <= 'd'; c++)
        cr_assert_eq(gp_pile_spawn(pile, late_letter, (void *)(uintptr_t)c, GP_FOREVER), 0);
    char got[8] = "";
    for (int i = 0; i < 4; i++) {
        void *r;
        cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
        got[i] = (char)(uintptr_t)r;
    }
    cr_expect_str_eq(got, "abcd");
    cr_expect_str_eq((letters[letters_len] = '\0', letters), "dcba", "they finished backwards");
    cr_expect_eq(gp_pile_next(pile, NULL, GP_FOREVER), ENOENT, "every result was taken");
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

/* The oldest result comes as soon as it is ready, before the younger calls end. */
Test(api_pool, pile_next_returns_as_soon_as_the_oldest_is_ready)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(pile, return_arg, (void *)1, 0), 0);
    cr_assert_eq(gp_pile_spawn(pile, sleep_long, (void *)2, 0), 0);
    void *r;
    cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
    cr_expect_eq(r, (void *)1);
    cr_expect_eq(gp_pile_next(pile, &r, 0), EAGAIN, "the next is not ready: a try");
    int64_t start = gp__now_ns();
    cr_expect_eq(gp_pile_next(pile, &r, GP_MSEC(20)), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(20));
    cr_expect_eq(gp_pile_destroy(pile), EBUSY, "a call still runs");
}

Test(api_pool, pile_of_a_pool_keeps_to_its_size)
{
    gp_pool_t *pool = new_pool(2);
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, pool), 0);
    for (uintptr_t i = 1; i <= 6; i++) {
        cr_assert_eq(gp_pile_spawn(pile, counted_sleep, (void *)i, GP_FOREVER), 0);
        cr_expect_leq(gp_pool_running(pool), 2);
    }
    cr_expect_eq(gp_pile_spawn(pile, counted_sleep, (void *)1, 0), EAGAIN, "full: a try fails");
    for (uintptr_t i = 1; i <= 6; i++) {
        void *r;
        cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
        cr_expect_eq(r, (void *)i);
    }
    cr_expect_eq(most_running, 2);
    cr_expect_eq(gp_pool_running(pool), 0);
    cr_expect_eq(gp_pile_destroy(pile), 0);
    cr_expect_eq(gp_pool_destroy(pool), 0);
}

Test(api_pool, pile_call_killed_gives_gp_killed)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(pile, kill_self, (void *)1, 0), 0);
    cr_assert_eq(gp_pile_spawn(pile, return_arg, (void *)2, 0), 0);
    void *r;
    cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
    cr_expect_eq(r, (void *)2);
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

Test(api_pool, pile_next_of_an_empty_pile_is_enoent)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_expect_eq(gp_pile_next(pile, NULL, GP_FOREVER), ENOENT);
    cr_expect_eq(gp_pile_next(pile, NULL, 0), ENOENT);
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

Test(api_pool, pile_misuse_is_einval)
{
    gp_pile_t *pile = NULL;
    cr_expect_eq(gp_pile_create(NULL, NULL), EINVAL);
    cr_expect_eq(gp_pile_create(&pile, (gp_pool_t *)&pile), EINVAL, "not a pool");
    cr_expect_null(pile);
    cr_expect_eq(gp_pile_spawn(NULL, return_arg, NULL, 0), EINVAL);
    cr_expect_eq(gp_pile_next(NULL, NULL, 0), EINVAL);
    cr_expect_eq(gp_pile_destroy(NULL), EINVAL);
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_expect_eq(gp_pile_spawn(pile, NULL, NULL, 0), EINVAL);
    cr_expect_eq(gp_pile_next(pile, NULL, -5), EINVAL);
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

/* A call that waits for its own result would wait for ever. */
static gp_pile_t *the_pile;

static void *next_of_own_pile(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)gp_pile_next(the_pile, NULL, GP_FOREVER);
}

Test(api_pool, pile_next_from_the_oldest_call_is_edeadlk)
{
    cr_assert_eq(gp_pile_create(&the_pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(the_pile, next_of_own_pile, NULL, 0), 0);
    void *r;
    cr_assert_eq(gp_pile_next(the_pile, &r, GP_FOREVER), 0);
    cr_expect_eq((intptr_t)r, EDEADLK);
    cr_expect_eq(gp_pile_destroy(the_pile), 0);
}

/* Two threads wait for results: each gets one, in order, and nobody reads a result that
 * another took. */
Test(api_pool, two_takers_share_the_results)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(pile, counted_sleep, (void *)5, 0), 0);
    cr_assert_eq(gp_pile_spawn(pile, counted_sleep, (void *)1, 0), 0);
    gp_thread_t other;
    cr_assert_eq(gp_spawn(&other, pile_next_inside, pile), 0);
    gp_yield(); /* other waits first: it gets the first result */
    void *r;
    cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
    cr_expect_eq(r, (void *)1);
    cr_assert_eq(gp_join(other, &r), 0);
    cr_expect_eq((intptr_t)r, 0);
    cr_expect_eq(gp_pile_next(pile, NULL, 0), ENOENT);
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

/* Waiting in gp_pile_next is a cancellation point; the waiter's count is undone. */
Test(api_pool, kill_of_a_thread_waiting_in_pile_next)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_assert_eq(gp_pile_spawn(pile, counted_sleep, (void *)20, 0), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, pile_next_inside, pile), 0);
    gp_yield();
    cr_expect_eq(gp_pile_destroy(pile), EBUSY);
    cr_assert_eq(gp_kill(t), 0);
    void *r;
    cr_assert_eq(gp_join(t, &r), 0);
    cr_expect_eq(r, GP_KILLED);
    cr_assert_eq(gp_pile_next(pile, &r, GP_FOREVER), 0);
    cr_expect_eq(r, (void *)20);
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

Test(api_pool, destroy_drops_results_not_taken)
{
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    for (uintptr_t i = 0; i < 3; i++)
        cr_assert_eq(gp_pile_spawn(pile, return_arg, (void *)i, 0), 0);
    cr_expect_eq(gp_pile_destroy(pile), EBUSY, "its calls have not run yet");
    gp_yield();
    cr_expect_eq(gp_pile_destroy(pile), 0);
}

/* ---- waits cut short by the timeout scope (runtime/timeout.c, once it is there) -------- */
#if __has_include("timeout.h")

Test(api_pool, waits_in_a_timeout_scope_end_with_etimedout)
{
    gp_pool_t *pool = new_pool(1);
    gp_pile_t *pile;
    cr_assert_eq(gp_pile_create(&pile, NULL), 0);
    cr_assert_eq(gp_pool_spawn(pool, sleep_long, NULL, 0), 0);
    cr_assert_eq(gp_pile_spawn(pile, sleep_long, NULL, 0), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_timeout_push(GP_MSEC(10)), 0);
    cr_expect_eq(gp_pool_spawn(pool, return_arg, NULL, GP_FOREVER), ETIMEDOUT);
    cr_expect_geq(gp__now_ns() - start, GP_MSEC(10));
    cr_expect_eq(gp_pool_waitall(pool, GP_FOREVER), ETIMEDOUT);
    cr_expect_eq(gp_pile_next(pile, NULL, GP_SEC(5)), ETIMEDOUT);
    cr_expect_eq(gp_pool_spawn(pool, return_arg, NULL, 0), EAGAIN, "a try stays a try");
    cr_expect_eq(gp_timeout_pop(), ETIMEDOUT);
    cr_expect_eq(gp_pool_running(pool), 1);
}

#endif
