/* pipeline: a producer, three workers and a consumer joined by two bounded queues, the C
 * form of an eventlet pipeline built on eventlet.queue.Queue(maxsize):
 *
 *     producer --> [jobs: 4 at most] --> 3 workers --> [done: 4 at most] --> consumer
 *
 * The producer puts the numbers 1 to 20 into the queue of jobs and closes it. Each worker
 * takes a number, "works" on it (a short sleep, longer for some numbers than for others,
 * so that the workers finish out of order), and puts its square into the queue of results.
 * The consumer takes the results as they come and files each at its number's place.
 *
 * What the queues do for us:
 *  - A bounded queue makes a fast producer wait: gp_queue_put waits while 4 jobs are queued,
 *    so memory stays bounded whatever the speed of the workers.
 *  - Closing a queue is how "no more" travels down the pipeline: gp_queue_get still hands
 *    out what was put before the close, then fails with EPIPE. The workers end there; once
 *    every worker has ended, main closes the queue of results, and the consumer ends.
 *
 * Build: cc pipeline.c $(pkg-config --cflags --libs greenpatch)
 * Output (the same on every run: the results are printed in the numbers' order, not in the
 * order the workers finished them):
 *     squares: 1 4 9 16 25 36 49 64 81 100 121 144 169 196 225 256 289 324 361 400
 *     sum of the squares: 2870
 *     results that came out of order: some
 *     most jobs queued at once: 4 (the queue holds 4)
 *     workers that ended when the queue of jobs closed: 3 of 3
 */
#include "greenpatch.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { NUMBERS = 20, WORKERS = 3, CAPACITY = 4 };

/* One job: the number to work on and, once a worker is done with it, its square. The
 * queues carry pointers to these (a queue holds pointers, never copies). */
struct job {
    int number;
    int square;
};

static struct job jobs[NUMBERS];
static gp_queue_t *todo, *done;

static size_t most_queued; /* the longest the queue of jobs has been */

static void fail(const char *what, int err)
{
    fprintf(stderr, "pipeline: %s: %s\n", what, strerror(err));
    _exit(1);
}

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < NUMBERS; i++) {
        jobs[i].number = i + 1;
        /* Waits while the queue is full: the workers take jobs meanwhile. */
        int err = gp_queue_put(todo, &jobs[i], GP_FOREVER);
        if (err != 0)
            fail("gp_queue_put", err);
        size_t queued = gp_queue_len(todo);
        if (queued > most_queued)
            most_queued = queued;
    }
    /* No more jobs: the workers take what is left, then their gets fail with EPIPE. */
    gp_queue_close(todo);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        void *item;
        int err = gp_queue_get(todo, &item, GP_FOREVER);
        if (err == EPIPE)
            return "ended at the close"; /* closed, and nothing left */
        if (err != 0)
            fail("gp_queue_get", err);
        struct job *job = item;
        /* The work: 10 to 30 ms, depending on the number (3 takes less than 2, which
         * takes less than 1: their results come out of order). */
        gp_sleep(GP_MSEC(10 * (3 - (job->number - 1) % 3)));
        job->square = job->number * job->number;
        err = gp_queue_put(done, job, GP_FOREVER);
        if (err != 0)
            fail("gp_queue_put", err);
    }
}

/* Files each result at its number's place; returns how many came before a smaller
 * number (out of order). */
static void *consumer(void *arg)
{
    int *squares = arg;
    intptr_t out_of_order = 0;
    int last = 0;
    for (;;) {
        void *item;
        int err = gp_queue_get(done, &item, GP_FOREVER);
        if (err == EPIPE)
            return (void *)out_of_order; /* every worker has ended */
        if (err != 0)
            fail("gp_queue_get", err);
        struct job *job = item;
        squares[job->number - 1] = job->square;
        if (job->number < last)
            out_of_order++;
        last = job->number;
    }
}

int main(void)
{
    alarm(10); /* an example that hangs ends itself */

    int err = gp_queue_create(&todo, CAPACITY);
    if (err == 0)
        err = gp_queue_create(&done, CAPACITY);
    if (err != 0)
        fail("gp_queue_create", err);

    int squares[NUMBERS] = {0};
    gp_thread_t workers[WORKERS], producing, consuming;
    if ((err = gp_spawn(&producing, producer, NULL)) != 0 ||
        (err = gp_spawn(&consuming, consumer, squares)) != 0)
        fail("gp_spawn", err);
    for (int i = 0; i < WORKERS; i++)
        if ((err = gp_spawn(&workers[i], worker, NULL)) != 0)
            fail("gp_spawn", err);

    /* Main waits for the workers; they end once the producer has closed the queue of jobs
     * and they have emptied it. Then nothing more will be put into the queue of results. */
    int ended = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *how;
        if ((err = gp_join(workers[i], &how)) != 0)
            fail("gp_join", err);
        ended += strcmp(how, "ended at the close") == 0;
    }
    gp_queue_close(done);

    void *out_of_order;
    if ((err = gp_join(consuming, &out_of_order)) != 0 || (err = gp_join(producing, NULL)) != 0)
        fail("gp_join", err);

    printf("squares:");
    int sum = 0;
    for (int i = 0; i < NUMBERS; i++) {
        printf(" %d", squares[i]);
        sum += squares[i];
    }
    printf("\nsum of the squares: %d\n", sum);
    printf("results that came out of order: %s\n", out_of_order ? "some" : "none");
    printf("most jobs queued at once: %zu (the queue holds %d)\n", most_queued, CAPACITY);
    printf("workers that ended when the queue of jobs closed: %d of %d\n", ended, WORKERS);

    gp_queue_destroy(todo);
    gp_queue_destroy(done);
    return 0;
}
