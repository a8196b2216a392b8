/* Queues, events and semaphores of the explicit API (greenpatch.h), linked with the runtime:
 * every call and its error cases, the order waiters are served in, cancellation of a
 * waiter, and wake-ups across OS threads both ways (a real OS thread, the pool's
 * gp__pool_os_thread or a gp_offload worker, wakes waiting green threads, and waits itself
 * while a green thread wakes it). The test body is main's flow: the first gp_spawn makes it
 * a green thread. Criterion runs every test in a process of its own. At the end, the
 * program tests/progs/api_objects.c, linked with -lgreenpatch, runs on its own and under the
 * preload. */
#include "cancel.h"
#include "clock.h"
#include "greenpatch.h"
#include "handles.h"
#include "harness.h"
#include "init.h"
#include "pool.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static void init(void) { cr_assert(gp__init()); }

TestSuite(objects, .init = init, .timeout = 30);

static void *nothing(void *arg) { return arg; }

/* Makes the test body a green thread (starts the scheduler). */
static void become_green(void)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, nothing, NULL), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_assert(gp_self().id != 0);
}

/* Lets every green thread that can run run until it waits. */
static void settle(void)
{
    for (int i = 0; i < 4; i++)
        gp_yield();
}

/* A real OS thread, not run by the scheduler, that the test waits for through done. */
struct stranger {
    void *(*fn)(struct stranger *);
    void *arg;
    long result;
    int64_t delay_ns;          /* slept (in the kernel) before fn runs */
    gp_event_t *done;          /* sent with result once fn returned */
};

static void *stranger_main(void *p)
{
    struct stranger *s = p;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = s->delay_ns};
    nanosleep(&ts, NULL);
    s->fn(s);
    gp_event_send(s->done, (void *)s->result);
    return NULL;
}

static void start_stranger(struct stranger *s)
{
    cr_assert_eq(gp_event_create(&s->done), 0);
    cr_assert_eq(gp__pool_os_thread(stranger_main, s), 0);
}

static long finish_stranger(struct stranger *s)
{
    void *v;
    cr_assert_eq(gp_event_wait(s->done, &v, GP_FOREVER), 0);
    cr_assert_eq(gp_event_destroy(s->done), 0);
    return (long)v;
}

/* ---- queues ----------------------------------------------------------------------------- */

Test(objects, queue_calls_reject_null)
{
    gp_queue_t *q;
    void *item;
    cr_assert_eq(gp_queue_create(NULL, 0), EINVAL);
    cr_assert_eq(gp_queue_put(NULL, &item, 0), EINVAL);
    cr_assert_eq(gp_queue_get(NULL, &item, 0), EINVAL);
    cr_assert_eq(gp_queue_close(NULL), EINVAL);
    cr_assert_eq(gp_queue_len(NULL), 0);
    cr_assert_eq(gp_queue_destroy(NULL), EINVAL);
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    cr_assert_eq(gp_queue_get(q, NULL, 0), EINVAL);
    cr_assert_eq(gp_queue_get(q, &item, -2), EINVAL, "a negative timeout other than GP_FOREVER");
    cr_assert_eq(gp_queue_destroy(q), 0);
}

Test(objects, queue_is_first_in_first_out)
{
    gp_queue_t *q;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    /* More than the first ring holds, taken out halfway so that the ring wraps. */
    for (uintptr_t i = 0; i < 10; i++)
        cr_assert_eq(gp_queue_put(q, (void *)i, 0), 0);
    for (uintptr_t i = 0; i < 5; i++) {
        void *item;
        cr_assert_eq(gp_queue_get(q, &item, 0), 0);
        cr_assert_eq((uintptr_t)item, i);
    }
    for (uintptr_t i = 10; i < 100; i++)
        cr_assert_eq(gp_queue_put(q, (void *)i, GP_FOREVER), 0);
    cr_assert_eq(gp_queue_len(q), 95);
    for (uintptr_t i = 5; i < 100; i++) {
        void *item;
        cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0);
        cr_assert_eq((uintptr_t)item, i);
    }
    cr_assert_eq(gp_queue_len(q), 0);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

Test(objects, queue_try_says_eagain)
{
    gp_queue_t *q;
    void *item;
    cr_assert_eq(gp_queue_create(&q, 1), 0);
    cr_assert_eq(gp_queue_get(q, &item, 0), EAGAIN);
    cr_assert_eq(gp_queue_put(q, &item, 0), 0);
    cr_assert_eq(gp_queue_put(q, &item, 0), EAGAIN);
    cr_assert_eq(gp_queue_len(q), 1);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

static void expect_time_passed(int64_t since, int64_t ns)
{
    cr_assert_geq(gp__now_ns() - since, ns, "returned before its timeout");
}

Test(objects, queue_timeouts_say_etimedout)
{
    become_green();
    gp_queue_t *q;
    void *item;
    cr_assert_eq(gp_queue_create(&q, 1), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_queue_get(q, &item, GP_MSEC(20)), ETIMEDOUT);
    expect_time_passed(start, GP_MSEC(20));
    cr_assert_eq(gp_queue_put(q, &item, GP_MSEC(20)), 0);
    start = gp__now_ns();
    cr_assert_eq(gp_queue_put(q, &item, GP_MSEC(20)), ETIMEDOUT);
    expect_time_passed(start, GP_MSEC(20));
    cr_assert_eq(gp_queue_len(q), 1, "the put that timed out left nothing");
    cr_assert_eq(gp_queue_destroy(q), 0);
}

static gp_queue_t *shared_q;
static int puts_done;

static void *put_five(void *arg)
{
    (void)arg;
    for (uintptr_t i = 1; i <= 5; i++) {
        cr_assert_eq(gp_queue_put(shared_q, (void *)i, GP_FOREVER), 0);
        puts_done++;
    }
    return NULL;
}

Test(objects, bounded_put_waits_for_room_then_proceeds)
{
    cr_assert_eq(gp_queue_create(&shared_q, 2), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, put_five, NULL), 0);
    settle();
    cr_assert_eq(puts_done, 2, "the third put waits for room");
    cr_assert_eq(gp_queue_len(shared_q), 2);
    for (uintptr_t i = 1; i <= 5; i++) {
        void *item;
        cr_assert_eq(gp_queue_get(shared_q, &item, GP_FOREVER), 0);
        cr_assert_eq((uintptr_t)item, i, "the waiting putter's item came after the others");
        settle();
    }
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_assert_eq(puts_done, 5);
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

static uintptr_t got[3];

static void *get_one(void *slot)
{
    void *item;
    cr_assert_eq(gp_queue_get(shared_q, &item, GP_FOREVER), 0);
    *(uintptr_t *)slot = (uintptr_t)item;
    return NULL;
}

Test(objects, waiting_getters_are_served_oldest_first)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], get_one, &got[i]), 0);
    settle();
    for (uintptr_t i = 1; i <= 3; i++)
        cr_assert_eq(gp_queue_put(shared_q, (void *)i, 0), 0);
    /* Handed over: a get now finds nothing, although no getter has run yet. */
    void *item;
    cr_assert_eq(gp_queue_get(shared_q, &item, 0), EAGAIN);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(gp_join(t[i], NULL), 0);
        cr_assert_eq(got[i], (uintptr_t)i + 1);
    }
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

static int outcome[4];

static void *put_one_note(void *slot)
{
    *(int *)slot = gp_queue_put(shared_q, slot, GP_FOREVER);
    return NULL;
}

static void *get_one_note(void *slot)
{
    void *item;
    *(int *)slot = gp_queue_get(shared_q, &item, GP_FOREVER);
    return NULL;
}

Test(objects, close_wakes_waiting_putters_with_epipe)
{
    cr_assert_eq(gp_queue_create(&shared_q, 1), 0);
    cr_assert_eq(gp_queue_put(shared_q, NULL, 0), 0);
    gp_thread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(gp_spawn(&t[i], put_one_note, &outcome[i]), 0);
    settle();
    cr_assert_eq(gp_queue_close(shared_q), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(gp_join(t[i], NULL), 0);
        cr_assert_eq(outcome[i], EPIPE);
    }
    cr_assert_eq(gp_queue_len(shared_q), 1, "their items were not added");
    cr_assert_eq(gp_queue_put(shared_q, NULL, 0), EPIPE, "a put after the close");
    cr_assert_eq(gp_queue_close(shared_q), EPIPE, "closed twice");
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

Test(objects, close_wakes_getters_and_what_was_put_is_still_taken)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    gp_thread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(gp_spawn(&t[i], get_one_note, &outcome[i]), 0);
    settle();
    cr_assert_eq(gp_queue_close(shared_q), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(gp_join(t[i], NULL), 0);
        cr_assert_eq(outcome[i], EPIPE);
    }
    cr_assert_eq(gp_queue_destroy(shared_q), 0);

    /* Items put before the close drain first, then EPIPE. */
    gp_queue_t *q;
    void *item;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    cr_assert_eq(gp_queue_put(q, (void *)1, 0), 0);
    cr_assert_eq(gp_queue_put(q, (void *)2, 0), 0);
    cr_assert_eq(gp_queue_close(q), 0);
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0);
    cr_assert_eq((uintptr_t)item, 1);
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0);
    cr_assert_eq((uintptr_t)item, 2);
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), EPIPE);
    cr_assert_eq(gp_queue_get(q, &item, 0), EPIPE);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

Test(objects, queue_destroy_with_a_waiter_says_ebusy)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, get_one_note, &outcome[0]), 0);
    settle();
    cr_assert_eq(gp_queue_destroy(shared_q), EBUSY);
    cr_assert_eq(gp_queue_put(shared_q, NULL, 0), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    cr_assert_eq(outcome[0], 0);
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

/* gp_kill's and pthread_cancel's request, as the runtime makes it. */
static void cancel(gp_thread_t t)
{
    struct gp_thread *g = gp__handle_lookup(t.id);
    cr_assert_not_null(g);
    cr_assert_eq(gp__cancel_request(g), 0);
}

Test(objects, a_cancelled_getter_is_taken_off_the_queue)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    gp_thread_t t[2];
    outcome[0] = outcome[1] = -1;
    for (int i = 0; i < 2; i++)
        cr_assert_eq(gp_spawn(&t[i], get_one_note, &outcome[i]), 0);
    settle();
    cancel(t[0]);
    void *result;
    cr_assert_eq(gp_join(t[0], &result), 0);
    cr_assert_eq(result, PTHREAD_CANCELED);
    cr_assert_eq(outcome[0], -1, "the cancelled get never returned");
    /* The item goes to the getter still waiting, not to the one that is gone. */
    cr_assert_eq(gp_queue_put(shared_q, NULL, 0), 0);
    cr_assert_eq(gp_join(t[1], NULL), 0);
    cr_assert_eq(outcome[1], 0);
    cr_assert_eq(gp_queue_destroy(shared_q), 0, "nobody waits any more");
}

Test(objects, a_pending_cancellation_ends_a_wait_at_its_start)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    cr_assert_eq(gp_queue_put(shared_q, NULL, 0), 0);
    outcome[0] = -1;
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, get_one_note, &outcome[0]), 0);
    cancel(t); /* before it first ran */
    void *result;
    cr_assert_eq(gp_join(t, &result), 0);
    cr_assert_eq(result, PTHREAD_CANCELED);
    cr_assert_eq(gp_queue_len(shared_q), 1, "the item stayed");
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

Test(objects, a_cancelled_putter_is_taken_off_and_its_item_never_added)
{
    cr_assert_eq(gp_queue_create(&shared_q, 1), 0);
    cr_assert_eq(gp_queue_put(shared_q, (void *)1, 0), 0);
    outcome[0] = -1;
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, put_one_note, &outcome[0]), 0);
    settle();
    cancel(t);
    void *result, *item;
    cr_assert_eq(gp_join(t, &result), 0);
    cr_assert_eq(result, PTHREAD_CANCELED);
    cr_assert_eq(outcome[0], -1);
    cr_assert_eq(gp_queue_get(shared_q, &item, 0), 0);
    cr_assert_eq((uintptr_t)item, 1);
    cr_assert_eq(gp_queue_get(shared_q, &item, 0), EAGAIN, "the cancelled put added nothing");
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

/* A wait that was handed its item before the request came keeps it: the request waits for
 * the next cancellation point (here there is none: the thread returns). */
Test(objects, a_wait_handed_its_item_succeeds_although_cancelled)
{
    cr_assert_eq(gp_queue_create(&shared_q, 0), 0);
    outcome[0] = -1;
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, get_one_note, &outcome[0]), 0);
    settle();
    cr_assert_eq(gp_queue_put(shared_q, (void *)1, 0), 0);
    cancel(t);
    void *result;
    cr_assert_eq(gp_join(t, &result), 0);
    cr_assert_eq(outcome[0], 0, "the get returned its item");
    cr_assert_null(result);
    cr_assert_eq(gp_queue_len(shared_q), 0);
    cr_assert_eq(gp_queue_destroy(shared_q), 0);
}

static void *stranger_put(struct stranger *s)
{
    s->result = gp_queue_put(s->arg, (void *)42, GP_FOREVER);
    return NULL;
}

Test(objects, a_real_os_thread_put_wakes_a_green_getter)
{
    become_green();
    gp_queue_t *q;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    struct stranger s = {.fn = stranger_put, .arg = q, .delay_ns = GP_MSEC(20)};
    start_stranger(&s);
    void *item;
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0);
    cr_assert_eq((uintptr_t)item, 42);
    cr_assert_eq(finish_stranger(&s), 0);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

static void *stranger_get(struct stranger *s)
{
    void *item = NULL;
    int r = gp_queue_get(s->arg, &item, GP_FOREVER);
    s->result = r ? -r : (long)(uintptr_t)item;
    return NULL;
}

Test(objects, a_green_put_wakes_a_real_os_thread_getter)
{
    become_green();
    gp_queue_t *q;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    struct stranger s = {.fn = stranger_get, .arg = q};
    start_stranger(&s);
    gp_sleep(GP_MSEC(20)); /* most likely it waits by now; the test holds either way */
    cr_assert_eq(gp_queue_put(q, (void *)7, GP_FOREVER), 0);
    cr_assert_eq(finish_stranger(&s), 7);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

static void *stranger_get_timed(struct stranger *s)
{
    void *item;
    int64_t start = gp__now_ns();
    s->result = gp_queue_get(s->arg, &item, GP_MSEC(20));
    if (gp__now_ns() - start < GP_MSEC(20))
        s->result = -1;
    return NULL;
}

Test(objects, a_real_os_thread_wait_times_out)
{
    become_green();
    gp_queue_t *q;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    struct stranger s = {.fn = stranger_get_timed, .arg = q};
    start_stranger(&s);
    cr_assert_eq(finish_stranger(&s), ETIMEDOUT);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

/* Before any gp_spawn, main is no green thread: it waits in the kernel. */
Test(objects, main_before_the_scheduler_waits_in_the_kernel)
{
    gp_queue_t *q;
    gp_event_t *done;
    cr_assert_eq(gp_queue_create(&q, 0), 0);
    cr_assert_eq(gp_event_create(&done), 0);
    struct stranger s = {.fn = stranger_put, .arg = q, .delay_ns = GP_MSEC(10), .done = done};
    cr_assert_eq(gp__pool_os_thread(stranger_main, &s), 0);
    void *item;
    cr_assert_eq(gp_queue_get(q, &item, GP_FOREVER), 0);
    cr_assert_eq((uintptr_t)item, 42);
    cr_assert_eq(gp_event_wait(done, NULL, GP_FOREVER), 0);
    cr_assert_eq(gp_self().id, 0, "still no green thread");
    cr_assert_eq(gp_event_destroy(done), 0);
    cr_assert_eq(gp_queue_destroy(q), 0);
}

/* ---- events ----------------------------------------------------------------------------- */

Test(objects, event_calls_reject_null)
{
    cr_assert_eq(gp_event_create(NULL), EINVAL);
    cr_assert_eq(gp_event_send(NULL, NULL), EINVAL);
    cr_assert_eq(gp_event_wait(NULL, NULL, 0), EINVAL);
    cr_assert(!gp_event_ready(NULL));
    cr_assert_eq(gp_event_reset(NULL), EINVAL);
    cr_assert_eq(gp_event_destroy(NULL), EINVAL);
}

static gp_event_t *shared_e;
static void *values[3];

static void *wait_event(void *slot)
{
    cr_assert_eq(gp_event_wait(shared_e, slot, GP_FOREVER), 0);
    return NULL;
}

Test(objects, send_wakes_every_waiter_with_the_value)
{
    cr_assert_eq(gp_event_create(&shared_e), 0);
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], wait_event, &values[i]), 0);
    settle();
    cr_assert(!gp_event_ready(shared_e));
    cr_assert_eq(gp_event_destroy(shared_e), EBUSY);
    cr_assert_eq(gp_event_send(shared_e, (void *)5), 0);
    cr_assert(gp_event_ready(shared_e));
    cr_assert_eq(gp_event_send(shared_e, (void *)6), EALREADY);
    /* A reset before the waiters ran takes nothing from them. */
    cr_assert_eq(gp_event_reset(shared_e), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(gp_join(t[i], NULL), 0);
        cr_assert_eq((uintptr_t)values[i], 5);
    }
    cr_assert_eq(gp_event_destroy(shared_e), 0);
}

Test(objects, a_sent_event_returns_at_once_until_reset)
{
    become_green();
    gp_event_t *e;
    void *v = NULL;
    cr_assert_eq(gp_event_create(&e), 0);
    cr_assert_eq(gp_event_wait(e, &v, 0), EAGAIN);
    cr_assert_eq(gp_event_reset(e), EINVAL, "not sent");
    cr_assert_eq(gp_event_send(e, (void *)9), 0);
    cr_assert_eq(gp_event_wait(e, &v, 0), 0);
    cr_assert_eq((uintptr_t)v, 9);
    cr_assert_eq(gp_event_wait(e, NULL, GP_FOREVER), 0);
    cr_assert_eq(gp_event_reset(e), 0);
    cr_assert(!gp_event_ready(e));
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_event_wait(e, &v, GP_MSEC(20)), ETIMEDOUT);
    expect_time_passed(start, GP_MSEC(20));
    cr_assert_eq(gp_event_send(e, (void *)10), 0, "another round");
    cr_assert_eq(gp_event_wait(e, &v, 0), 0);
    cr_assert_eq((uintptr_t)v, 10);
    cr_assert_eq(gp_event_destroy(e), 0);
}

static void *stranger_send(struct stranger *s)
{
    s->result = gp_event_send(s->arg, (void *)77);
    return NULL;
}

Test(objects, a_real_os_thread_send_wakes_green_waiters)
{
    cr_assert_eq(gp_event_create(&shared_e), 0);
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], wait_event, &values[i]), 0);
    struct stranger s = {.fn = stranger_send, .arg = shared_e, .delay_ns = GP_MSEC(20)};
    start_stranger(&s);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(gp_join(t[i], NULL), 0);
        cr_assert_eq((uintptr_t)values[i], 77);
    }
    cr_assert_eq(finish_stranger(&s), 0);
    cr_assert_eq(gp_event_destroy(shared_e), 0);
}

static void *offloaded_send(void *e) { return (void *)(intptr_t)gp_event_send(e, (void *)3); }

static void *offload_sender(void *e)
{
    void *r;
    cr_assert_eq(gp_offload(offloaded_send, e, &r), 0);
    return r;
}

Test(objects, a_gp_offload_worker_sends_while_a_green_thread_waits)
{
    cr_assert_eq(gp_event_create(&shared_e), 0);
    gp_thread_t waiter, sender;
    cr_assert_eq(gp_spawn(&waiter, wait_event, &values[0]), 0);
    cr_assert_eq(gp_spawn(&sender, offload_sender, shared_e), 0);
    void *r;
    cr_assert_eq(gp_join(waiter, NULL), 0);
    cr_assert_eq((uintptr_t)values[0], 3);
    cr_assert_eq(gp_join(sender, &r), 0);
    cr_assert_eq(r, NULL, "the send from the worker returned 0");
    cr_assert_eq(gp_event_destroy(shared_e), 0);
}

static void *stranger_wait(struct stranger *s)
{
    void *v = NULL;
    int r = gp_event_wait(s->arg, &v, GP_FOREVER);
    s->result = r ? -r : (long)(uintptr_t)v;
    return NULL;
}

Test(objects, a_green_send_wakes_a_real_os_thread_waiter)
{
    become_green();
    gp_event_t *e;
    cr_assert_eq(gp_event_create(&e), 0);
    struct stranger s = {.fn = stranger_wait, .arg = e};
    start_stranger(&s);
    gp_sleep(GP_MSEC(20));
    cr_assert_eq(gp_event_send(e, (void *)8), 0);
    cr_assert_eq(finish_stranger(&s), 8);
    cr_assert_eq(gp_event_destroy(e), 0);
}

/* ---- semaphores ------------------------------------------------------------------------- */

Test(objects, sem_calls_reject_null_and_a_value_above_the_limit)
{
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(NULL, 0, 0), EINVAL);
    cr_assert_eq(gp_sem_create(&s, 3, 2), EINVAL);
    cr_assert_eq(gp_sem_acquire(NULL, 0), EINVAL);
    cr_assert_eq(gp_sem_release(NULL), EINVAL);
    cr_assert_eq(gp_sem_value(NULL), 0);
    cr_assert_eq(gp_sem_destroy(NULL), EINVAL);
}

Test(objects, sem_counts_and_its_limit_says_eoverflow)
{
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 1, 2), 0);
    cr_assert_eq(gp_sem_value(s), 1);
    cr_assert_eq(gp_sem_release(s), 0);
    cr_assert_eq(gp_sem_value(s), 2);
    cr_assert_eq(gp_sem_release(s), EOVERFLOW);
    cr_assert_eq(gp_sem_value(s), 2);
    cr_assert_eq(gp_sem_acquire(s, 0), 0);
    cr_assert_eq(gp_sem_acquire(s, GP_FOREVER), 0);
    cr_assert_eq(gp_sem_acquire(s, 0), EAGAIN);
    cr_assert_eq(gp_sem_value(s), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);

    cr_assert_eq(gp_sem_create(&s, UINT_MAX, 0), 0, "no limit");
    cr_assert_eq(gp_sem_release(s), EOVERFLOW, "past UINT_MAX");
    cr_assert_eq(gp_sem_destroy(s), 0);
}

Test(objects, sem_acquire_times_out)
{
    become_green();
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    int64_t start = gp__now_ns();
    cr_assert_eq(gp_sem_acquire(s, GP_MSEC(20)), ETIMEDOUT);
    expect_time_passed(start, GP_MSEC(20));
    cr_assert_eq(gp_sem_destroy(s), 0);
}

static gp_sem_t *shared_s;
static char order[8];
static size_t order_len;

static void *acquire_note(void *name)
{
    cr_assert_eq(gp_sem_acquire(shared_s, GP_FOREVER), 0);
    order[order_len++] = *(const char *)name;
    return NULL;
}

Test(objects, sem_waiters_are_served_oldest_first)
{
    cr_assert_eq(gp_sem_create(&shared_s, 0, 1), 0);
    gp_thread_t t[3];
    const char *names = "abc";
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], acquire_note, (void *)(names + i)), 0);
    settle();
    cr_assert_eq(gp_sem_destroy(shared_s), EBUSY);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(gp_sem_release(shared_s), 0, "handed over: the limit is not reached");
        cr_assert_eq(gp_sem_acquire(shared_s, 0), EAGAIN, "no barging in");
        settle();
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_join(t[i], NULL), 0);
    cr_assert_eq(order_len, 3);
    cr_assert_eq(memcmp(order, "abc", 3), 0);
    cr_assert_eq(gp_sem_destroy(shared_s), 0);
}

static void *stranger_release(struct stranger *s)
{
    s->result = gp_sem_release(s->arg);
    return NULL;
}

Test(objects, a_real_os_thread_release_wakes_a_green_waiter)
{
    become_green();
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    struct stranger st = {.fn = stranger_release, .arg = s, .delay_ns = GP_MSEC(20)};
    start_stranger(&st);
    cr_assert_eq(gp_sem_acquire(s, GP_FOREVER), 0);
    cr_assert_eq(finish_stranger(&st), 0);
    cr_assert_eq(gp_sem_value(s), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

static void *stranger_acquire(struct stranger *s)
{
    s->result = gp_sem_acquire(s->arg, GP_FOREVER);
    return NULL;
}

Test(objects, a_green_release_wakes_a_real_os_thread_waiter)
{
    become_green();
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    struct stranger st = {.fn = stranger_acquire, .arg = s};
    start_stranger(&st);
    gp_sleep(GP_MSEC(20));
    cr_assert_eq(gp_sem_release(s), 0);
    cr_assert_eq(finish_stranger(&st), 0);
    cr_assert_eq(gp_sem_value(s), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

/* Many green and real OS threads pass one unit around: nobody is lost or doubled. */
enum { ROUNDS = 200 };

static void *take_and_give(void *s)
{
    for (int i = 0; i < ROUNDS; i++) {
        if (gp_sem_acquire(s, GP_FOREVER) || gp_sem_release(s))
            return (void *)1;
    }
    return NULL;
}

static void *stranger_take_and_give(struct stranger *st)
{
    st->result = (long)(intptr_t)take_and_give(st->arg);
    return NULL;
}

Test(objects, green_and_real_threads_share_a_semaphore)
{
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 1, 1), 0);
    struct stranger st[2] = {{.fn = stranger_take_and_give, .arg = s},
                             {.fn = stranger_take_and_give, .arg = s}};
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], take_and_give, s), 0);
    for (int i = 0; i < 2; i++)
        start_stranger(&st[i]);
    for (int i = 0; i < 3; i++) {
        void *r;
        cr_assert_eq(gp_join(t[i], &r), 0);
        cr_assert_null(r);
    }
    for (int i = 0; i < 2; i++)
        cr_assert_eq(finish_stranger(&st[i]), 0);
    cr_assert_eq(gp_sem_value(s), 1);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

/* Units handed over while the waiter's short deadline passes are never lost: each
 * release either ends a wait or raises the count, both ways across OS threads. */
enum { HANDOVERS = 300, TRIES = 1000000 };

static void *stranger_release_many(struct stranger *st)
{
    for (int i = 0; i < HANDOVERS; i++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000};
        nanosleep(&ts, NULL);
        if (gp_sem_release(st->arg))
            st->result++;
    }
    return NULL;
}

Test(objects, a_green_waiter_with_short_timeouts_loses_no_stranger_release)
{
    become_green();
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    struct stranger st = {.fn = stranger_release_many, .arg = s};
    start_stranger(&st);
    int got = 0, timeouts = 0;
    for (int i = 0; i < TRIES && got < HANDOVERS; i++) {
        int r = gp_sem_acquire(s, 20000);
        cr_assert(r == 0 || r == ETIMEDOUT, "acquire: %d", r);
        r == 0 ? got++ : timeouts++;
    }
    cr_assert_eq(got, HANDOVERS, "%d timeouts", timeouts);
    cr_assert_eq(finish_stranger(&st), 0);
    cr_assert_eq(gp_sem_value(s), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

static void *stranger_acquire_many(struct stranger *st)
{
    for (int i = 0; i < TRIES && st->result < HANDOVERS; i++) {
        int r = gp_sem_acquire(st->arg, 20000);
        if (r == 0)
            st->result++;
        else if (r != ETIMEDOUT)
            return NULL;
    }
    return NULL;
}

Test(objects, a_stranger_waiter_with_short_timeouts_loses_no_green_release)
{
    become_green();
    gp_sem_t *s;
    cr_assert_eq(gp_sem_create(&s, 0, 0), 0);
    struct stranger st = {.fn = stranger_acquire_many, .arg = s};
    start_stranger(&st);
    for (int i = 0; i < HANDOVERS; i++) {
        cr_assert_eq(gp_sem_release(s), 0);
        gp_sleep(10000);
    }
    cr_assert_eq(finish_stranger(&st), HANDOVERS);
    cr_assert_eq(gp_sem_value(s), 0);
    cr_assert_eq(gp_sem_destroy(s), 0);
}

/* ---- a program linked with -lgreenpatch --------------------------------------------------- */

static const char program_expected[] =
    "pthreads of main green, of a gp_offload worker real OS threads: yes\n"
    "producers put everything: yes\n"
    "items taken: 600, sum right: yes\n"
    "each producer's items in order: yes\n"
    "consumers ended with EPIPE after the close: yes\n"
    "queue left: 0, destroyed: yes\n"
    "send from a gp_offload worker: Success; the waiter got 1234\n"
    "a second send: Operation already in progress\n"
    "semaphore and event destroyed: yes\n";

Test(api_objects, linked_program_shares_objects_among_all_kinds_of_threads)
{
    expect_linked_program(RUN_NATIVE, prog_path("api_objects"), NULL, program_expected);
}

Test(api_objects, linked_program_under_the_preload_too)
{
    expect_linked_program(RUN_SHIM, prog_path("api_objects"), NULL, program_expected);
}
