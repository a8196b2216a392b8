/* Queues, events and semaphores from a program linked with -lgreenpatch, run on its own and
 * under the preload. Producers and consumers share one bounded queue: green threads made by
 * gp_spawn, threads made by pthread_create from main (green too, linked or preloaded: the
 * library interposes pthread_create either way) and threads made by pthread_create on a
 * gp_offload worker (an OS thread the scheduler does not run, so they are real OS threads,
 * which wait in the kernel). A semaphore tells main when the pthreads are done, and a
 * gp_offload worker sends an event that a green thread waits for. */
#include "greenpatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { PRODUCERS = 6, CONSUMERS = 3, ITEMS = 100, CAPACITY = 4 };

static gp_queue_t *queue;
static gp_sem_t *pthreads_done; /* released by each pthread as it ends */

/* Item k of producer p is p * ITEMS + k + 1 (never NULL). */
static void *produce(void *arg)
{
    uintptr_t p = (uintptr_t)arg;
    for (uintptr_t k = 0; k < ITEMS; k++)
        if (gp_queue_put(queue, (void *)(p * ITEMS + k + 1), GP_FOREVER))
            return (void *)1;
    return NULL;
}

struct consumer {
    unsigned long count, sum;
    bool in_order;         /* each producer's items came in the order it put them */
    int end;               /* what the last get said */
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    uintptr_t last[PRODUCERS] = {0};
    void *item;
    c->in_order = true;
    while ((c->end = gp_queue_get(queue, &item, GP_FOREVER)) == 0) {
        uintptr_t v = (uintptr_t)item - 1;
        uintptr_t p = v / ITEMS, k = v % ITEMS + 1;
        if (p >= PRODUCERS || k <= last[p])
            c->in_order = false;
        else
            last[p] = k;
        c->count++;
        c->sum += (unsigned long)item;
    }
    return NULL;
}

struct pthread_job {
    void *(*fn)(void *);
    void *arg;
    void *result;
    bool green;      /* gp_self() said it was a green thread */
    pthread_t thread;
};

static void *run_pthread_job(void *p)
{
    struct pthread_job *j = p;
    j->green = gp_self().id != 0;
    j->result = j->fn(j->arg);
    gp_sem_release(pthreads_done);
    return NULL;
}

static int start_jobs(struct pthread_job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        int r = pthread_create(&jobs[i].thread, NULL, run_pthread_job, &jobs[i]);
        if (r)
            return r;
    }
    return 0;
}

/* On a gp_offload worker: its pthread_create makes real OS threads. */
static void *start_real_jobs(void *jobs) { return (void *)(intptr_t)start_jobs(jobs, 3); }

static void *join_real_jobs(void *p)
{
    struct pthread_job *jobs = p;
    for (int i = 0; i < 3; i++)
        pthread_join(jobs[i].thread, NULL);
    return NULL;
}

static gp_event_t *offload_event;

static void *send_from_worker(void *arg)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 20000000};
    nanosleep(&ts, NULL); /* the green waiter waits by now, most likely */
    return (void *)(intptr_t)gp_event_send(offload_event, arg);
}

static void *wait_for_event(void *arg)
{
    (void)arg;
    void *value = NULL;
    int r = gp_event_wait(offload_event, &value, GP_FOREVER);
    return r ? NULL : value;
}

static int fail(const char *what, int r)
{
    printf("%s: %s\n", what, strerror(r));
    return 1;
}

int main(void)
{
    alarm(20);
    int r;
    if ((r = gp_queue_create(&queue, CAPACITY)) || (r = gp_sem_create(&pthreads_done, 0, 0)))
        return fail("create", r);

    /* Producers 0, 1 and consumer 0: gp_spawn; producers 2, 3 and consumer 1: pthreads of
     * main; producers 4, 5 and consumer 2: pthreads of a gp_offload worker. */
    gp_thread_t green_producers[2], green_consumer;
    struct consumer consumers[CONSUMERS] = {{0}};
    if ((r = gp_spawn(&green_consumer, consume, &consumers[0])))
        return fail("gp_spawn", r);
    for (uintptr_t p = 0; p < 2; p++)
        if ((r = gp_spawn(&green_producers[p], produce, (void *)p)))
            return fail("gp_spawn", r);
    struct pthread_job jobs[6] = {{.fn = produce, .arg = (void *)2},
                                  {.fn = produce, .arg = (void *)3},
                                  {.fn = consume, .arg = &consumers[1]},
                                  {.fn = produce, .arg = (void *)4},
                                  {.fn = produce, .arg = (void *)5},
                                  {.fn = consume, .arg = &consumers[2]}};
    void *started;
    if ((r = start_jobs(jobs, 3)))
        return fail("pthread_create", r);
    if ((r = gp_offload(start_real_jobs, jobs + 3, &started)) || (r = (int)(intptr_t)started))
        return fail("pthread_create on a worker", r);

    bool produced = true;
    for (int p = 0; p < 2; p++) {
        void *result;
        if (gp_join(green_producers[p], &result) || result)
            produced = false;
    }
    /* The pthread producers: a green wait for them (their releases come from other OS
     * threads too), then the joins, which no longer wait for long. */
    for (int i = 0; i < 4; i++)
        if ((r = gp_sem_acquire(pthreads_done, GP_FOREVER)))
            return fail("gp_sem_acquire", r);
    if ((r = gp_queue_close(queue)))
        return fail("gp_queue_close", r);
    if ((r = gp_join(green_consumer, NULL)))
        return fail("gp_join", r);
    for (int i = 0; i < 2; i++)
        if ((r = gp_sem_acquire(pthreads_done, GP_FOREVER)))
            return fail("gp_sem_acquire", r);
    for (int i = 0; i < 3; i++)
        pthread_join(jobs[i].thread, NULL);
    gp_offload(join_real_jobs, jobs + 3, NULL);
    bool kinds_right = true;
    for (int i = 0; i < 6; i++) {
        if (jobs[i].fn == produce && jobs[i].result)
            produced = false;
        if (jobs[i].green != (i < 3))
            kinds_right = false;
    }

    unsigned long count = 0, sum = 0;
    bool in_order = true, ended = true;
    for (int c = 0; c < CONSUMERS; c++) {
        count += consumers[c].count;
        sum += consumers[c].sum;
        in_order = in_order && consumers[c].in_order;
        ended = ended && consumers[c].end == EPIPE;
    }
    unsigned long n = PRODUCERS * ITEMS;
    printf("pthreads of main green, of a gp_offload worker real OS threads: %s\n",
           kinds_right ? "yes" : "no");
    printf("producers put everything: %s\n", produced ? "yes" : "no");
    printf("items taken: %lu, sum right: %s\n", count, sum == n * (n + 1) / 2 ? "yes" : "no");
    printf("each producer's items in order: %s\n", in_order ? "yes" : "no");
    printf("consumers ended with EPIPE after the close: %s\n", ended ? "yes" : "no");
    size_t left = gp_queue_len(queue);
    printf("queue left: %zu, destroyed: %s\n", left, gp_queue_destroy(queue) == 0 ? "yes" : "no");

    /* A gp_offload worker (a real OS thread) sends the event a green thread waits for. */
    if ((r = gp_event_create(&offload_event)))
        return fail("gp_event_create", r);
    gp_thread_t waiter;
    if ((r = gp_spawn(&waiter, wait_for_event, NULL)))
        return fail("gp_spawn", r);
    void *sent, *value;
    if ((r = gp_offload(send_from_worker, (void *)1234, &sent)))
        return fail("gp_offload", r);
    if ((r = gp_join(waiter, &value)))
        return fail("gp_join", r);
    printf("send from a gp_offload worker: %s; the waiter got %lu\n",
           strerror((int)(intptr_t)sent), (unsigned long)(uintptr_t)value);
    printf("a second send: %s\n", strerror(gp_event_send(offload_event, NULL)));
    printf("semaphore and event destroyed: %s\n",
           gp_sem_destroy(pthreads_done) == 0 && gp_event_destroy(offload_event) == 0 ? "yes"
                                                                                       : "no");
    return 0;
}
