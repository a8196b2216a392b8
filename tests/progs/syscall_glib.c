/* A real user of syscall(SYS_futex, ...): GLib, whose GMutex and GCond wait and wake with
 * the futex system call directly (glib/gthread-posix.c), and whose GThread is a pthread.
 * Under the shim every GThread is a green thread on one OS thread, so each contended lock
 * and each condition wait below must park on the hub rather than in the kernel:
 *  - 8 GThreads add to a counter under a GMutex, sometimes holding it across g_usleep so
 *    that the others contend;
 *  - producers and consumers pass items through a GAsyncQueue (a GMutex and a GCond);
 *  - g_cond_wait_until with nobody signalling times out (FALSE);
 *  - the main thread waits in g_cond_wait while another GThread ticks, then signals. */
#include "coop.h"

#include <glib.h>

enum { COUNTERS = 8, INCREMENTS = 5000, PRODUCERS = 3, CONSUMERS = 3, ITEMS = 4000 };

static GMutex lock;
static long counter;

static gpointer count_up(gpointer arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        g_mutex_lock(&lock);
        long seen = counter;
        if (i % 500 == 0)
            g_usleep(200); /* held across a sleep: the others contend */
        counter = seen + 1;
        g_mutex_unlock(&lock);
    }
    return NULL;
}

static GAsyncQueue *queue;

static gpointer produce(gpointer arg)
{
    long base = GPOINTER_TO_INT(arg) * ITEMS;
    for (long i = 1; i <= ITEMS; i++)
        g_async_queue_push(queue, GINT_TO_POINTER(base + i));
    return NULL;
}

static atomic_long consumed_sum;

static gpointer consume(gpointer arg)
{
    (void)arg;
    for (;;) {
        long item = GPOINTER_TO_INT(g_async_queue_pop(queue));
        if (item < 0)
            return NULL;
        consumed_sum += item;
    }
}

static GMutex cond_lock;
static GCond cond;
static gboolean signalled;

static void signal_cond(void *unused)
{
    (void)unused;
    g_mutex_lock(&cond_lock);
    signalled = TRUE;
    g_cond_signal(&cond);
    g_mutex_unlock(&cond_lock);
}

int main(void)
{
    alarm(20);
    GThread *t[COUNTERS];
    for (int i = 0; i < COUNTERS; i++)
        t[i] = g_thread_new("counter", count_up, NULL);
    report_os_threads("counters-alive");
    for (int i = 0; i < COUNTERS; i++)
        g_thread_join(t[i]);
    printf("GMutex: %d GThreads x %d increments = %ld\n", COUNTERS, INCREMENTS, counter);

    queue = g_async_queue_new();
    GThread *producers[PRODUCERS], *consumers[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        consumers[i] = g_thread_new("consumer", consume, NULL);
    for (int i = 0; i < PRODUCERS; i++)
        producers[i] = g_thread_new("producer", produce, GINT_TO_POINTER(i));
    for (int i = 0; i < PRODUCERS; i++)
        g_thread_join(producers[i]);
    for (int i = 0; i < CONSUMERS; i++)
        g_async_queue_push(queue, GINT_TO_POINTER(-1));
    for (int i = 0; i < CONSUMERS; i++)
        g_thread_join(consumers[i]);
    long n = (long)PRODUCERS * ITEMS, sum = consumed_sum;
    printf("GAsyncQueue: %ld items from %d producers to %d consumers, sum right: %s\n", n,
           PRODUCERS, CONSUMERS, yes_no(sum == n * (n + 1) / 2));
    g_async_queue_unref(queue);

    struct coop_ticker ticker;
    coop_start(&ticker, "g_cond_wait_until", NULL, NULL);
    g_mutex_lock(&cond_lock);
    gboolean woken = g_cond_wait_until(&cond, &cond_lock, g_get_monotonic_time() + 50000);
    g_mutex_unlock(&cond_lock);
    coop_finish(&ticker);
    printf("g_cond_wait_until with nobody signalling: %s\n", woken ? "TRUE" : "FALSE");

    coop_start(&ticker, "g_cond_wait", signal_cond, NULL);
    g_mutex_lock(&cond_lock);
    while (!signalled)
        g_cond_wait(&cond, &cond_lock);
    g_mutex_unlock(&cond_lock);
    int ticks = coop_ticks(&ticker);
    printf("g_cond_wait ended by another GThread's g_cond_signal after it ticked %d times: %s\n",
           COOP_TICKS, yes_no(coop_finish(&ticker) && ticks == COOP_TICKS));
    return 0;
}
