/* Runtime units, linked directly (no preload, no shim): fibers and stacks, the scheduler's
 * order, timers, hub waits with deadlines and wake-ups from other OS threads, the wait
 * table, green mutexes, and settings parsing. Criterion runs every test in a process of
 * its own, so each starts with a fresh scheduler. */
#include "clock.h"
#include "config.h"
#include "fiber.h"
#include "greenpatch.h"
#include "hub.h"
#include "init.h"
#include "real.h"
#include "scheduler.h"
#include "signals.h"
#include "sync.h"
#include "waitq.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void init(void) { cr_assert(gp__init()); }

TestSuite(runtime, .init = init, .timeout = 30);

/* ---- fibers ---------------------------------------------------------------------------- */

static struct gp_fiber main_fiber, child_fiber;
static int fiber_steps;

static void child_body(struct gp_transfer t)
{
    gp__fiber_started(&child_fiber, t);
    for (;;) {
        fiber_steps++;
        gp__fiber_switch(&child_fiber, &main_fiber);
    }
}

Test(runtime, fiber_switches_back_and_forth)
{
    cr_assert_eq(gp__fiber_stack_alloc(&child_fiber.stack, 64 * 1024, 4096), 0);
    gp__fiber_prepare(&child_fiber, child_body, 0);
    for (int i = 1; i <= 1000; i++) {
        gp__fiber_switch(&main_fiber, &child_fiber);
        cr_assert_eq(fiber_steps, i);
    }
}

static void note_stack(void *arg)
{
    *(uintptr_t *)arg = (uintptr_t)__builtin_frame_address(0);
}

/* A probe (the thread dump's) runs on the suspended fiber's stack and comes back, and the
 * fiber goes on from where it waited as if nothing happened. */
Test(runtime, fiber_probe_runs_on_the_suspended_stack)
{
    fiber_steps = 0;
    cr_assert_eq(gp__fiber_stack_alloc(&child_fiber.stack, 64 * 1024, 4096), 0);
    gp__fiber_prepare(&child_fiber, child_body, 0);
    cr_assert(!child_fiber.started);
    gp__fiber_switch(&main_fiber, &child_fiber);
    cr_assert(child_fiber.started);
    for (int i = 0; i < 3; i++) {
        uintptr_t where = 0;
        gp__fiber_probe(&main_fiber, &child_fiber, note_stack, &where);
        cr_assert(where >= (uintptr_t)child_fiber.stack.base &&
                  where < (uintptr_t)child_fiber.stack.base + child_fiber.stack.size);
        cr_assert_eq(fiber_steps, 1, "the probe ran nothing of the fiber's own");
    }
    gp__fiber_switch(&main_fiber, &child_fiber);
    cr_assert_eq(fiber_steps, 2);
}

Test(runtime, stack_guard_faults, .signal = SIGSEGV)
{
    struct gp_stack s;
    cr_assert_eq(gp__fiber_stack_alloc(&s, 64 * 1024, 4096), 0);
    s.base[0] = 1;  /* the lowest usable byte is fine */
    s.base[s.size - 1] = 1;
    cr_assert(gp__fiber_stack_guard_hit(&s, s.base - 1));
    ((volatile char *)s.base)[-1] = 1; /* the guard is not */
}

Test(runtime, stacks_are_reused)
{
    struct gp_stack a, b;
    cr_assert_eq(gp__fiber_stack_alloc(&a, 64 * 1024, 4096), 0);
    char *base = a.base;
    gp__fiber_stack_release(&a);
    cr_assert_eq(gp__fiber_stack_alloc(&b, 64 * 1024, 4096), 0);
    cr_assert_eq(b.base, base);
    gp__fiber_stack_release(&b);
}

/* How many of the stacks at bases (of SIZE bytes each) have given their pages back but
 * their top GP_FIBER_KEPT_BYTES. */
static int trimmed_stacks(char **bases, int n, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char resident[size / page];
    int trimmed = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(mincore(bases[i], size, resident), 0);
        size_t pages = 0;
        for (size_t p = 0; p < size / page; p++)
            pages += resident[p] & 1;
        trimmed += pages <= GP_FIBER_KEPT_BYTES / page;
    }
    return trimmed;
}

/* Released stacks keep their pages while the program is busy, up to
 * GP_FIBER_UNTRIMMED_STACKS of them; when nothing runs (the hub calls the trim), all but
 * the hot ones give them back except their top GP_FIBER_KEPT_BYTES, where the cache entry
 * lives. */
Test(runtime, released_stacks_give_their_pages_back_when_nothing_runs)
{
    enum { STACKS = GP_FIBER_UNTRIMMED_STACKS + 32, SIZE = 64 * 1024 };
    struct gp_stack s[STACKS];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < STACKS; i++) {
        cr_assert_eq(gp__fiber_stack_alloc(&s[i], SIZE, page), 0);
        memset(s[i].base, 1, s[i].size);
    }
    char *bases[STACKS];
    for (int i = 0; i < STACKS; i++) {
        bases[i] = s[i].base;
        gp__fiber_stack_release(&s[i]);
    }
    int busy = trimmed_stacks(bases, STACKS, SIZE);
    cr_assert_eq(busy, STACKS - GP_FIBER_UNTRIMMED_STACKS,
                 "%d of %d released stacks gave their pages back while busy", busy, STACKS);
    gp__fiber_stack_trim();
    int idle = trimmed_stacks(bases, STACKS, SIZE);
    cr_assert_eq(idle, STACKS - GP_FIBER_HOT_STACKS,
                 "%d of %d released stacks gave their pages back once idle", idle, STACKS);
    /* The most recently released are reused first, still with their pages. */
    struct gp_stack again;
    cr_assert_eq(gp__fiber_stack_alloc(&again, SIZE, page), 0);
    cr_assert_eq(again.base, bases[STACKS - 1]);
    gp__fiber_stack_release(&again);
}

/* ---- scheduler ------------------------------------------------------------------------- */

static char order[64];
static size_t order_len;

static void note(char c) { order[order_len++] = c; }

static void *round_robin(void *arg)
{
    for (int i = 0; i < 3; i++) {
        note(*(char *)arg);
        gp_yield();
    }
    return arg;
}

Test(runtime, threads_run_in_spawn_order_and_yield_round_robin)
{
    static char names[] = "abc";
    gp_thread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], round_robin, &names[i]), 0);
    for (int i = 0; i < 3; i++) {
        void *result;
        cr_assert_eq(gp_join(t[i], &result), 0);
        cr_assert_eq(result, &names[i]);
    }
    cr_assert_str_eq(order, "abcabcabc");
}

static void *return_self(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)gp_self().id;
}

Test(runtime, join_gives_the_result_and_refuses_self_and_detached)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_self, NULL), 0);
    void *result;
    cr_assert_eq(gp_join(t, &result), 0);
    cr_assert_eq((uintptr_t)result, t.id);
    cr_assert_eq(gp_join(t, NULL), ESRCH, "a handle is spent once joined");
    cr_assert_eq(gp_join(gp_self(), NULL), EDEADLK);
    cr_assert_eq(gp_spawn(&t, return_self, NULL), 0);
    cr_assert_eq(gp_detach(t), 0);
    cr_assert_eq(gp_join(t, NULL), EINVAL);
    gp_yield();
}

static void *sleeper(void *arg)
{
    gp_sleep((uint64_t)(uintptr_t)arg * 10000000u);
    note((char)('0' + (uintptr_t)arg));
    return NULL;
}

Test(runtime, timers_wake_in_deadline_order)
{
    gp_thread_t t[3];
    uintptr_t tens[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_spawn(&t[i], sleeper, (void *)tens[i]), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gp_join(t[i], NULL), 0);
    cr_assert_str_eq(order, "123");
}

/* ---- hub ------------------------------------------------------------------------------- */

Test(runtime, fd_wait_times_out_no_earlier_than_its_deadline)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_self, NULL), 0); /* starts the scheduler */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int64_t start = gp__now_ns(), deadline = start + 50000000;
    cr_assert_eq(gp__hub_wait_fd(p[0], GP_HUB_READ, deadline, GP_INTR_NEVER), GP_WAKE_TIMEOUT);
    cr_assert_geq(gp__now_ns(), deadline);
    cr_assert_eq(gp_join(t, NULL), 0);
}

struct pipe_pair {
    int fds[2];
};

static void *write_one_byte(void *arg)
{
    struct pipe_pair *p = arg;
    gp_sleep(1000000);
    cr_assert_eq(write(p->fds[1], "x", 1), 1);
    return NULL;
}

Test(runtime, fd_wait_wakes_when_another_thread_writes)
{
    struct pipe_pair p;
    cr_assert_eq(pipe(p.fds), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, write_one_byte, &p), 0);
    cr_assert_eq(gp__hub_wait_fd(p.fds[0], GP_HUB_READ, GP_NO_DEADLINE, GP_INTR_NEVER), GP_WAKE_READY);
    cr_assert_eq(gp_join(t, NULL), 0);
}

static void *close_it(void *arg)
{
    struct pipe_pair *p = arg;
    gp_sleep(1000000);
    gp__hub_fd_closing(p->fds[0]);
    close(p->fds[0]);
    return NULL;
}

Test(runtime, closing_an_fd_wakes_its_waiters)
{
    struct pipe_pair p;
    cr_assert_eq(pipe(p.fds), 0);
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, close_it, &p), 0);
    cr_assert_eq(gp__hub_wait_fd(p.fds[0], GP_HUB_READ, GP_NO_DEADLINE, GP_INTR_NEVER), GP_WAKE_CLOSED);
    cr_assert_eq(gp_join(t, NULL), 0);
}

static int posted_key;

static void *post_from_os_thread(void *arg)
{
    (void)arg;
    usleep(20000);
    cr_assert_eq(gp__hub_post_wake(&posted_key, 1), 0);
    return NULL;
}

Test(runtime, another_os_thread_wakes_a_waiting_green_thread)
{
    gp_thread_t t;
    cr_assert_eq(gp_spawn(&t, return_self, NULL), 0);
    cr_assert_eq(gp_join(t, NULL), 0);
    pthread_t os_thread;
    cr_assert_eq(pthread_create(&os_thread, NULL, post_from_os_thread, NULL), 0);
    cr_assert_eq(gp__waitq_wait(&posted_key, GP_NO_DEADLINE), GP_WAKE_READY);
    pthread_join(os_thread, NULL);
}

/* ---- wait table and mutexes -------------------------------------------------------------- */

static int woken;

static void *wait_on_key(void *key)
{
    if (gp__waitq_wait(key, GP_NO_DEADLINE) == GP_WAKE_READY)
        woken++;
    return NULL;
}

Test(runtime, waitq_wakes_only_the_waiters_of_its_key)
{
    static int key_a, key_b;
    gp_thread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(gp_spawn(&t[i], wait_on_key, i < 3 ? (void *)&key_a : (void *)&key_b), 0);
    gp_yield();
    cr_assert_eq(gp__waitq_wake(&key_a, 2), 2);
    gp_yield();
    cr_assert_eq(woken, 2);
    cr_assert_eq(gp__waitq_wake(&key_a, 10), 1);
    cr_assert_eq(gp__waitq_wake(&key_b, 10), 1);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(gp_join(t[i], NULL), 0);
    cr_assert_eq(woken, 4);
    cr_assert_eq(gp__waitq_wait(&key_a, gp__now_ns() + 1000000), GP_WAKE_TIMEOUT);
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *increment_with_yields(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(gp__mutex_lock(&counter_lock, GP_NO_DEADLINE), 0);
        long seen = counter;
        gp_yield(); /* others run while the lock is held and must wait */
        counter = seen + 1;
        cr_assert_eq(gp__mutex_unlock(&counter_lock), 0);
    }
    return NULL;
}

Test(runtime, green_mutex_excludes_across_switches)
{
    gp_thread_t t[20];
    for (int i = 0; i < 20; i++)
        cr_assert_eq(gp_spawn(&t[i], increment_with_yields, NULL), 0);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(gp_join(t[i], NULL), 0);
    cr_assert_eq(counter, 2000);
    cr_assert_eq(counter_lock.__data.__lock, 0);
    cr_assert_eq(counter_lock.__data.__nusers, 0);
}

/* ---- settings -------------------------------------------------------------------------- */

Test(runtime, sizes_parse_with_suffixes_and_reject_the_rest)
{
    size_t v;
    cr_assert(gp__config_parse_size("65536", &v) && v == 65536);
    cr_assert(gp__config_parse_size("64k", &v) && v == 65536);
    cr_assert(gp__config_parse_size("2M", &v) && v == 2u << 20);
    cr_assert(gp__config_parse_size("1g", &v) && v == 1u << 30);
    const char *bad[] = {"", "banana", "-1", "12q", "64kb", " 64", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!gp__config_parse_size(bad[i], &v), "accepted \"%s\"", bad[i]);
}

/* ---- real functions -------------------------------------------------------------------- */

/* How many slots of gp__real still hold their stub (runtime/real.c), which lives in this
 * executable with the runtime; a bound slot points into libc. */
static size_t slots_still_stubs(void)
{
    Dl_info self, info;
    cr_assert(dladdr((void *)slots_still_stubs, &self));
    void *const *slot = (void *const *)&gp__real;
    size_t stubs = 0;
    for (size_t i = 0; i < sizeof gp__real / sizeof *slot; i++)
        stubs += dladdr(slot[i], &info) && info.dli_fbase == self.dli_fbase;
    return stubs;
}

static void ignore_signal(int sig) { (void)sig; }

/* A handler runs through the shim's trampoline and its calls reach the real functions: by
 * then none may be a stub, whose first call would run dlsym inside the handler. */
Test(runtime, installing_a_handler_binds_every_real_function)
{
    cr_assert_gt(slots_still_stubs(), 0, "the table starts lazily bound");
    struct sigaction sa = {.sa_handler = ignore_signal};
    cr_assert_eq(gp__signal_action(SIGUSR1, &sa, NULL), 0);
    cr_expect_eq(slots_still_stubs(), 0);
}
