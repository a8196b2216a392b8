/* See scheduler.h. The scheduler is single-threaded by construction: only the scheduler thread
 * touches it, so nothing here takes a lock. Wake-ups from other OS threads arrive through
 * the hub (gp__hub_post). */
#include "scheduler.h"

#include "cancel.h"
#include "clock.h"
#include "config.h"
#include "filelock.h"
#include "futex.h"
#include "guard.h"
#include "handles.h"
#include "hub.h"
#include "identity.h"
#include "inspect.h"
#include "log.h"
#include "real.h"
#include "resolver.h"
#include "signals.h"
#include "stats.h"
#include "timeout.h"
#include "tls.h"
#include "tsd.h"
#include "waitq.h"
#include "watchdog.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Switches between two visits to the hub: after this many, a thread that yields or wakes
 * another goes through the hub so that I/O is polled even when something is always
 * runnable. A poll is a system call (~0.3 us), a switch ~20 ns: at 256, polling costs a
 * busy scheduler a few percent and an I/O wake-up waits a few microseconds at most beyond
 * the threads' own work (Go's scheduler leaves its poller alone far longer). */
enum { SWITCHES_PER_POLL = 256 };

__thread struct gp_thread *gp__current;
size_t gp__sched_live;

static struct {
    struct gp_list run_queue;  /* GP_RUNNABLE threads, in the order they became runnable */
    struct gp_thread *main;    /* the program's main thread, once adopted */
    struct gp_thread *hub;     /* the hub's fiber, never on the run queue */
    struct gp_thread *reap;    /* exited; its stack is released once we are off it */
    struct gp_thread *prev;    /* the fiber just switched from; NULL when it exited */
    uint64_t next_id;
    unsigned switches_since_poll;
    pthread_t os_thread;       /* the scheduler's OS thread */
    pid_t os_tid;              /* and its kernel thread id */
    int *errno_slot;           /* its errno (&errno costs a call into libc every switch) */
} sched;

static void finish_switch_in(void);

/* A thread that is joined, or detached and dead, is no longer a pthread_t: its stack,
 * which holds it, goes back to the cache. The main thread's struct stays allocated:
 * sched.main is consulted for as long as the process runs (mutex ownership, signal
 * delivery). Never called on t's own stack. */
static void forget(struct gp_thread *t)
{
    t->magic = 0;
    gp__handle_forget(t);
    if (t->is_main)
        return;
    struct gp_stack stack = t->fiber.stack; /* t is inside it */
    gp__fiber_stack_release(&stack);
}

static void switch_to(struct gp_thread *next)
{
    struct gp_thread *cur = gp__current;
    cur->saved_errno = *sched.errno_slot;
    gp__stats_switch(cur);
    gp__inspect_state(next);
    next->state = GP_RUNNING;
    gp__current = next;
    sched.prev = cur;
    gp__fiber_switch(&cur->fiber, &next->fiber);
    finish_switch_in();
}

/* Runs on the fiber that was just switched to, before it continues: the OS thread takes
 * its signal mask, and a thread that is not in an interruptible wait runs the handlers
 * deferred to it (signals.h). */
static void finish_switch_in(void)
{
    struct gp_thread *dead = sched.reap;
    if (dead) {
        sched.reap = NULL;
        if (dead->detached)
            forget(dead);
    }
    gp__watchdog_switched();
    if (!gp__current->is_hub)
        gp__tls_switch_in(gp__current); /* may allocate: before errno is restored */
    *sched.errno_slot = gp__current->saved_errno;
    gp__signal_switch_in(sched.prev, gp__current);
}

static struct gp_thread *pick_next(void)
{
    /* The hub also routes the signals that came while a green thread ran. */
    if (++sched.switches_since_poll >= SWITCHES_PER_POLL || gp__signal_pending())
        return sched.hub;
    struct gp_list *n = gp__list_pop_front(&sched.run_queue);
    return n ? GP_CONTAINER_OF(n, struct gp_thread, run_link) : sched.hub;
}

/* Leaves the running thread (already parked, queued or dead) for the next one. */
static void schedule(void)
{
    struct gp_thread *next = pick_next();
    if (next != gp__current)
        switch_to(next);
    else
        next->state = GP_RUNNING;
}

bool gp__sched_runnable(void) { return !gp__list_empty(&sched.run_queue); }

bool gp__sched_run_next(void)
{
    sched.switches_since_poll = 0;
    struct gp_list *n = gp__list_pop_front(&sched.run_queue);
    if (!n)
        return false;
    switch_to(GP_CONTAINER_OF(n, struct gp_thread, run_link));
    return true;
}

enum gp_wake gp__sched_park(void)
{
    struct gp_thread *cur = gp__current;
    assert(cur && !cur->is_hub);
    /* A signal came for this thread while it was setting up an interruptible wait: the wait
     * is over before it starts. */
    if (cur->interrupt != GP_INTR_NEVER && cur->deferred_signals) {
        cur->wake = GP_WAKE_INTERRUPT;
    } else {
        gp__inspect_state(cur);
        /* Woken only for a handler, which ran as the thread switched in: the wait goes on,
         * with whatever it registered still in place. */
        do {
            cur->state = GP_PARKED;
            schedule();
        } while (cur->wake == GP_WAKE_SIGNAL);
    }
    cur->park.what = GP_PARK_NONE; /* said anew before each park (inspect.h) */
    return cur->wake;
}

void gp__sched_unpark(struct gp_thread *t, enum gp_wake why)
{
    /* Runnable only for a handler: what it waited for came meanwhile, and ends the wait. */
    if (t->state == GP_RUNNABLE && t->wake == GP_WAKE_SIGNAL && why != GP_WAKE_SIGNAL) {
        t->wake = why;
        return;
    }
    if (t->state != GP_PARKED)
        return;
    t->wake = why;
    t->state = GP_RUNNABLE;
    gp__inspect_state(t);
    gp__list_push_back(&sched.run_queue, &t->run_link);
}

void gp__sched_yield(void)
{
    struct gp_thread *cur = gp__current;
    /* Nor in a handler that runs at once (signals.c): it may have interrupted the scheduler
     * itself (its run queue, a switch), and a "not yet" answer there (EAGAIN from a full
     * self-pipe, waitpid WNOHANG in a SIGCHLD handler) hung the program. */
    if (!cur || cur->is_hub || gp__signal_in_handler())
        return;
    gp__inspect_state(cur);
    cur->state = GP_RUNNABLE;
    gp__list_push_back(&sched.run_queue, &cur->run_link);
    schedule();
}

/* Makes t, zeroed, the green thread numbered id (the hub is 0: it is no thread of the
 * program's). */
static void init_thread(struct gp_thread *t, uint64_t id)
{
    t->magic = GP_THREAD_MAGIC;
    t->id = id;
    t->lock_id = (int)(GP_GREEN_LOCK_ID_BASE + (uint32_t)t->id);
    gp__list_init(&t->run_link);
    gp__list_init(&t->intr_link);
    gp__timeout_init(t);
}

/* Main's and the hub's struct, allocated. */
static struct gp_thread *new_thread(uint64_t id)
{
    struct gp_thread *t = calloc(1, sizeof *t);
    if (t)
        init_thread(t, id);
    return t;
}

/* What a spawned thread keeps at the top of its stack: its struct and its resolver state. */
struct stack_top {
    struct gp_thread thread;
    struct gp_resolver_thread resolver;
};
#define STACK_TOP_BYTES ((sizeof(struct stack_top) + 63) / 64 * 64)

static _Noreturn void thread_entry(struct gp_transfer tr)
{
    gp__fiber_started(&gp__current->fiber, tr);
    finish_switch_in();
    gp__sched_exit(gp__cancel_run(gp__current));
}

static void hub_entry(struct gp_transfer tr)
{
    gp__fiber_started(&gp__current->fiber, tr);
    finish_switch_in();
    gp__hub_run();
}

/* A child of fork has only the thread that forked, as natively: the other green threads
 * must never run there, nothing may wait on them, and the child's waits need an event loop
 * of its own (the parent's shares its epoll instance with the parent). */
static void forget_other_threads(void)
{
    struct gp_thread *self = gp__current;
    if (!self)
        return; /* forked from another OS thread: the child has no green threads at all */
    gp__list_init(&sched.run_queue);
    sched.reap = NULL;
    gp__sched_live = 1;
    self->joiner = NULL; /* a parent's thread, which the child does not have */
    gp__handle_after_fork(self);
    if (self->is_main)
        self->lock_id = (int)gettid(); /* glibc gives the child's thread its new TID */
    /* The forking thread is the child's main thread: signals go to it. (A green thread
     * other than main keeps its pthread_t and lock id, which the program may hold.) */
    sched.main = self;
    sched.os_thread = gp__real.pthread_self();
    sched.os_tid = gettid();
    gp__waitq_after_fork();
    gp__futex_after_fork();
    gp__filelock_after_fork();
    gp__signal_after_fork();
    gp__hub_after_fork();
    gp__log_info("fork child: green thread %llu \"%s\" is its only green thread",
                 (unsigned long long)self->id, self->name);
}

/* Adopts the calling OS thread: its current flow becomes the main green thread and the
 * hub gets a fiber of its own. Runs once, at the first spawn. */
static int start_scheduler(void)
{
    gp__real_bind_all();
    gp__list_init(&sched.run_queue);
    struct gp_thread *main = new_thread(++sched.next_id), *hub = new_thread(0);
    if (!main || !hub)
        goto fail;
    main->is_main = true;
    main->lock_id = (int)gettid();
    gp__fiber_adopt_current(&main->fiber);
    gp__cancel_adopt_main(main);
    gp__identity_adopt_main(main);
    gp__tls_adopt_main(main);
    main->state = GP_RUNNING;
    hub->is_hub = true;
    hub->state = GP_RUNNING;
    /* The program's signal handlers may run on the hub's stack: give it a native thread's
     * size whatever GREENPATCH_STACK_SIZE says (only touched pages cost memory). */
    if (gp__fiber_stack_alloc(&hub->fiber.stack, gp__config.native_stack_size,
                              gp__config.guard_size))
        goto fail;
    gp__fiber_prepare(&hub->fiber, hub_entry, 0);
    int r = gp__hub_init();
    if (r < 0) {
        gp__fiber_stack_release(&hub->fiber.stack);
        free(main);
        free(hub);
        return r;
    }
    gp__guard_install();
    pthread_atfork(NULL, NULL, forget_other_threads);
    gp__signal_adopt(main, hub);
    sched.main = main;
    sched.hub = hub;
    sched.os_thread = gp__real.pthread_self();
    sched.os_tid = gettid();
    sched.errno_slot = &errno; /* a fork child's thread has it at the same address */
    gp__sched_live = 1;
    gp__current = main;
    gp__log_info("scheduler started at the first pthread_create: green threads run on OS "
                 "thread %d, main is green thread 1", (int)sched.os_tid);
    gp__watchdog_start();
    return 0;
fail:
    free(main);
    free(hub);
    return -ENOMEM;
}

int gp__sched_start(void) { return gp__current ? 0 : start_scheduler(); }

int gp__sched_spawn(struct gp_thread **out, const struct gp_spawn_opts *o,
                    void *(*start)(void *), void *arg)
{
    int r = gp__sched_start();
    if (r < 0)
        return r;
    assert(gp__sched_green());
    struct gp_stack stack;
    if (o->stack_addr) {
        /* glibc too keeps its struct pthread at the top of a program-supplied stack. */
        if (o->stack_size <= STACK_TOP_BYTES)
            return -EINVAL;
        gp__fiber_stack_adopt(&stack, o->stack_addr, o->stack_size);
    } else if (gp__fiber_stack_alloc(&stack, o->stack_size ? o->stack_size : gp__config.stack_size,
                                     o->guard_size) < 0) {
        return -EAGAIN;
    }
    struct stack_top *top = gp__fiber_stack_top(&stack, STACK_TOP_BYTES);
    memset(top, 0, sizeof *top);
    struct gp_thread *t = &top->thread;
    init_thread(t, sched.next_id + 1);
    t->fiber.stack = stack;
    t->resolver = &top->resolver;
    if (gp__tls_spawned(t) < 0) {
        t->magic = 0; /* the cached stack must not pass for a thread (gp__sched_lookup) */
        gp__fiber_stack_release(&stack);
        return -EAGAIN;
    }
    gp__fiber_prepare(&t->fiber, thread_entry, STACK_TOP_BYTES);
    gp__signal_spawned(gp__current, t);
    sched.next_id++;
    t->start = start;
    t->arg = arg;
    t->detached = o->detached;
    gp__identity_inherit(t, gp__current);
    t->state = GP_RUNNABLE;
    gp__inspect_state(t);
    gp__list_push_back(&sched.run_queue, &t->run_link);
    gp__sched_live++;
    gp__stats_spawned();
    *out = t;
    return 0;
}

void gp__sched_exit(void *result)
{
    struct gp_thread *self = gp__current;
    assert(self && !self->is_hub);
    self->result = result;
    self->exiting = true;
    gp__timeout_init(self); /* a scope left open does not bound the destructors' waits */
    gp__tls_exit(self); /* glibc's order: thread_local destructors, then keys' */
    gp__tsd_exit(self);
    if (self->exit_hook)
        self->exit_hook(self);
    /* As with native threads, the last thread to finish ends the process with status 0
     * (glibc's start_thread calls exit(0) when the thread count drops to zero). */
    if (gp__sched_live == 1)
        exit(0);
    gp__sched_live--;
    gp__signal_forget_thread(self);
    gp__resolver_forget_thread(self);
    gp__tls_forget_thread(self);
    self->state = GP_DEAD;
    if (self->joiner)
        gp__sched_unpark(self->joiner, GP_WAKE_READY);
    sched.reap = self;
    sched.prev = NULL;
    struct gp_thread *next = pick_next();
    gp__stats_switch(self);
    gp__inspect_state(next);
    next->state = GP_RUNNING;
    gp__current = next;
    gp__fiber_switch_final(&self->fiber, &next->fiber);
}

struct gp_thread *gp__sched_lookup(const void *p)
{
    const struct gp_thread *t = p;
    if (!p || ((uintptr_t)p & (_Alignof(struct gp_thread) - 1)))
        return NULL;
    return t->magic == GP_THREAD_MAGIC && !t->is_hub ? (struct gp_thread *)t : NULL;
}

struct gp_thread *gp__sched_main(void) { return sched.main; }

pthread_t gp__sched_os_thread(void) { return sched.os_thread; }

pid_t gp__sched_os_tid(void) { return sched.os_tid; }

pthread_t gp__sched_handle(const struct gp_thread *t)
{
    return t->is_main ? sched.os_thread : (pthread_t)t;
}

struct gp_thread *gp__sched_from_handle(pthread_t h)
{
    struct gp_thread *main = sched.main;
    if (main && main->is_main && h == sched.os_thread)
        return gp__sched_lookup(main);
    return gp__sched_lookup((const void *)h);
}


int gp__sched_join(struct gp_thread *t, void **result, int64_t deadline)
{
    struct gp_thread *self = gp__current;
    if (t == self || self->joiner == t)
        return -EDEADLK;
    if (t->detached || (t->joiner && t->joiner != self))
        return -EINVAL;
    deadline = gp__timeout_bound(deadline); /* ETIMEDOUT at the timeout scope's end too */
    while (t->state != GP_DEAD) {
        if (deadline == 0)
            return -EBUSY;
        t->joiner = self;
        gp__inspect_say(GP_PARK_JOIN, t);
        self->cancel_wait = true;
        enum gp_wake why = gp__hub_park_until(deadline, GP_INTR_NEVER);
        self->cancel_wait = false;
        if (why == GP_WAKE_TIMEOUT && t->state != GP_DEAD) {
            t->joiner = NULL;
            return -ETIMEDOUT;
        }
        if (why == GP_WAKE_INTERRUPT) {
            /* Only pthread_cancel wakes a join this way: t stays joinable, as natively. */
            t->joiner = NULL;
            gp__cancel_point();
        }
    }
    if (result)
        *result = t->result;
    forget(t);
    return 0;
}

int gp__sched_detach(struct gp_thread *t)
{
    if (t->detached || t->joiner)
        return -EINVAL;
    if (t->state == GP_DEAD) {
        forget(t);
        return 0;
    }
    t->detached = true;
    return 0;
}
