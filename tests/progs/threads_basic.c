/* Thread life cycle: pthread_create with attributes (detached, stack size, a stack the
 * program supplies, guard size), the values that pthread_join returns (from return and
 * from pthread_exit), pthread_detach, pthread_tryjoin_np, pthread_timedjoin_np and
 * pthread_clockjoin_np, joining oneself (EDEADLK), pthread_self and pthread_equal, and 256
 * threads alive at once. Every line it prints is the same natively and under the shim; with
 * REPORT_OS_THREADS=1 it reports on stderr the OS thread count while the 256 threads live. */
#include "thread_prog.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* A gate that threads wait at until main opens it; main can also wait until a number of
 * threads have arrived, which is how it knows they are all alive at the same time. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int arrived;
    bool open;
};
#define GATE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false}

static void gate_wait_until_open(struct gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    while (!gate->open)
        pthread_cond_wait(&gate->cond, &gate->lock);
    pthread_mutex_unlock(&gate->lock);
}

static void gate_arrive_and_wait(struct gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->arrived++;
    pthread_cond_broadcast(&gate->cond);
    pthread_mutex_unlock(&gate->lock);
    gate_wait_until_open(gate);
}

static void gate_await_arrivals(struct gate *gate, int count)
{
    pthread_mutex_lock(&gate->lock);
    while (gate->arrived < count)
        pthread_cond_wait(&gate->cond, &gate->lock);
    pthread_mutex_unlock(&gate->lock);
}

static void gate_open(struct gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->open = true;
    pthread_cond_broadcast(&gate->cond);
    pthread_mutex_unlock(&gate->lock);
}

/* ---- join values, from return and from pthread_exit ---- */

static void *return_arg(void *arg) { return arg; }

/* pthread_exit from below the thread's start function, as real programs do it. */
static __attribute__((noinline, noreturn)) void exit_with(void *value) { pthread_exit(value); }

static void *exit_with_arg(void *arg) { exit_with(arg); }

static void check_join_values(void)
{
    enum { THREADS = 8 };
    int values[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, i % 2 ? exit_with_arg : return_arg, &values[i]);
    bool returned_ok = true, exited_ok = true;
    for (int i = 0; i < THREADS; i++) {
        bool ok = join_or_die(threads[i]) == &values[i];
        if (i % 2)
            exited_ok = exited_ok && ok;
        else
            returned_ok = returned_ok && ok;
    }
    printf("join returns the value each thread returned: %s\n", yes_no(returned_ok));
    printf("join returns the value each thread passed to pthread_exit: %s\n", yes_no(exited_ok));
}

/* ---- attributes ---- */

enum { ONE_MIB_OF_FRAMES = (1 << 20) / STACK_FRAME_BYTES };

static void *use_1mib_of_stack(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)use_stack(ONE_MIB_OF_FRAMES, NULL);
}

static void *report_done(void *arg)
{
    gate_open(arg);
    return NULL;
}

struct supplied_stack {
    char *base;
    size_t size;
    bool local_inside; /* a local variable of the thread lay inside [base, base + size) */
};

static void *note_where_locals_live(void *arg)
{
    struct supplied_stack *stack = arg;
    char local;
    stack->local_inside = &local >= stack->base && &local < stack->base + stack->size;
    use_stack(32, NULL); /* 64 KiB of the 256 KiB: the supplied stack is usable */
    return NULL;
}

static void check_attributes(void)
{
    pthread_attr_t attr;

    /* Static, not on this stack: the detached thread may still be inside
     * pthread_mutex_unlock of the gate's lock when this function has returned. */
    static struct gate detached_done = GATE_INIT;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_thread(&attr, report_done, &detached_done);
    gate_wait_until_open(&detached_done);
    printf("thread created detached ran\n");
    pthread_attr_destroy(&attr);

    /* A thread that asks for 2 MiB of stack gets at least that: it may use 1 MiB. */
    const size_t two_mib = 2u << 20;
    pthread_attr_init(&attr);
    must_succeed(pthread_attr_setstacksize(&attr, two_mib), "pthread_attr_setstacksize");
    size_t stack_size = 0;
    pthread_attr_getstacksize(&attr, &stack_size);
    printf("attr stack size reads back: %s\n", yes_no(stack_size == two_mib));
    pthread_t big = start_thread(&attr, use_1mib_of_stack, NULL);
    printf("thread with a 2 MiB stack used 1 MiB: %s\n",
           yes_no((uintptr_t)join_or_die(big) == ONE_MIB_OF_FRAMES + 1));
    pthread_attr_destroy(&attr);

    struct supplied_stack stack = {.size = 256u << 10};
    stack.base = mmap(NULL, stack.size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack.base == MAP_FAILED)
        must_succeed(errno, "mmap");
    pthread_attr_init(&attr);
    must_succeed(pthread_attr_setstack(&attr, stack.base, stack.size), "pthread_attr_setstack");
    join_or_die(start_thread(&attr, note_where_locals_live, &stack));
    printf("thread ran on the stack the program supplied: %s\n", yes_no(stack.local_inside));
    pthread_attr_destroy(&attr);
    munmap(stack.base, stack.size);

    const size_t guard = 64u << 10;
    pthread_attr_init(&attr);
    must_succeed(pthread_attr_setguardsize(&attr, guard), "pthread_attr_setguardsize");
    size_t guard_read = 0;
    pthread_attr_getguardsize(&attr, &guard_read);
    printf("attr guard size reads back: %s\n", yes_no(guard_read == guard));
    int value;
    printf("thread with a 64 KiB guard ran: %s\n",
           yes_no(join_or_die(start_thread(&attr, return_arg, &value)) == &value));
    pthread_attr_destroy(&attr);
}

/* ---- pthread_detach, tryjoin, timedjoin, clockjoin, joining oneself ---- */

struct gated_thread {
    struct gate *go;   /* waited at before finishing */
    struct gate *done; /* opened when finishing, or NULL */
};

static void *wait_at_gate(void *arg)
{
    struct gated_thread *gated = arg;
    gate_arrive_and_wait(gated->go);
    if (gated->done)
        gate_open(gated->done);
    return gated;
}

static void check_detach(void)
{
    /* Static for the same reason as detached_done above. */
    static struct gate go = GATE_INIT, done = GATE_INIT;
    static struct gated_thread gated = {&go, &done};
    pthread_t thread = start_thread(NULL, wait_at_gate, &gated);
    gate_await_arrivals(gated.go, 1);
    printf("pthread_detach of a running thread: %s\n", error_name(pthread_detach(thread)));
    gate_open(gated.go);
    gate_wait_until_open(gated.done);
    printf("detached thread finished\n");
}

static void check_tryjoin(void)
{
    struct gate go = GATE_INIT;
    struct gated_thread gated = {&go, NULL};
    pthread_t thread = start_thread(NULL, wait_at_gate, &gated);
    gate_await_arrivals(&go, 1);
    void *value = NULL;
    printf("tryjoin while the thread waits: %s\n", error_name(pthread_tryjoin_np(thread, &value)));
    gate_open(&go);
    /* The thread ends soon after the gate opens; poll for at most 10 s. */
    int rc = EBUSY;
    for (int tries = 0; tries < 10000 && rc == EBUSY; tries++) {
        rc = pthread_tryjoin_np(thread, &value);
        if (rc == EBUSY)
            usleep(1000);
    }
    printf("tryjoin after the thread ended: %s, value %s\n", error_name(rc),
           value == &gated ? "right" : "wrong");
}

static void *sleep_300ms(void *arg)
{
    usleep(300000);
    return arg;
}

static void check_timed_joins(void)
{
    int token;
    pthread_t thread = start_thread(NULL, sleep_300ms, &token);
    void *value = NULL;
    struct timespec soon = deadline_in(CLOCK_REALTIME, 30);
    printf("timedjoin on a sleeping thread: %s\n",
           error_name(pthread_timedjoin_np(thread, &value, &soon)));
    soon = deadline_in(CLOCK_MONOTONIC, 30);
    printf("clockjoin (monotonic) on a sleeping thread: %s\n",
           error_name(pthread_clockjoin_np(thread, &value, CLOCK_MONOTONIC, &soon)));
    struct timespec later = deadline_in(CLOCK_REALTIME, 10000);
    int rc = pthread_timedjoin_np(thread, &value, &later);
    printf("timedjoin with time to spare: %s, value %s\n", error_name(rc),
           value == &token ? "right" : "wrong");
}

static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

static void check_join_self(void)
{
    printf("main joins itself: %s\n", error_name(pthread_join(pthread_self(), NULL)));
    int rc = (int)(intptr_t)join_or_die(start_thread(NULL, join_self, NULL));
    printf("a thread joins itself: %s\n", error_name(rc));
}

/* ---- pthread_self, pthread_equal, many threads ---- */

struct identity {
    struct gate *go;
    pthread_t self; /* what pthread_self() said inside the thread */
};

static void *note_self(void *arg)
{
    struct identity *id = arg;
    id->self = pthread_self();
    gate_arrive_and_wait(id->go);
    return id;
}

/* Starts count threads that wait together at one gate, so that all are alive at once;
 * checks their identities, then lets them go and joins them. */
static void check_live_threads(int count, const char *report_as)
{
    struct gate go = GATE_INIT;
    struct identity *ids = calloc((size_t)count, sizeof *ids);
    pthread_t *threads = calloc((size_t)count, sizeof *threads);
    for (int i = 0; i < count; i++) {
        ids[i].go = &go;
        threads[i] = start_thread(NULL, note_self, &ids[i]);
    }
    gate_await_arrivals(&go, count);
    report_os_threads(report_as);
    bool self_matches = true, distinct = true, main_differs = true;
    for (int i = 0; i < count; i++) {
        self_matches = self_matches && pthread_equal(ids[i].self, threads[i]);
        main_differs = main_differs && !pthread_equal(ids[i].self, pthread_self());
        for (int j = 0; j < i; j++)
            distinct = distinct && !pthread_equal(ids[i].self, ids[j].self);
    }
    gate_open(&go);
    bool joined = true;
    for (int i = 0; i < count; i++)
        joined = joined && join_or_die(threads[i]) == &ids[i];
    printf("%d live threads: pthread_self matches pthread_create: %s, ids distinct: %s, "
           "main's id differs: %s, joined with their values: %s\n",
           count, yes_no(self_matches), yes_no(distinct), yes_no(main_differs), yes_no(joined));
    free(ids);
    free(threads);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("threads_basic start\n");
    check_join_values();
    check_attributes();
    check_detach();
    check_tryjoin();
    check_timed_joins();
    check_join_self();
    check_live_threads(16, "16-alive");
    check_live_threads(256, "256-alive");
    return 0;
}
