/* gp_offload from a program linked with -lgreenpatch: the function runs on a real worker
 * thread while the green threads go on, results come back, the pool never runs more
 * workers at once than GREENPATCH_POOL_SIZE, and a fork child has a pool of its own. */
#include "greenpatch.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TICKS = 3, MANY = 64 };

static atomic_int ticks;

static void *ticker(void *unused)
{
    (void)unused;
    for (int i = 0; i < TICKS; i++) {
        gp_sleep(2000000);
        atomic_fetch_add(&ticks, 1);
    }
    return NULL;
}

static void real_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits, in the kernel, until the green ticker has finished: possible only if the green
 * threads run while this function runs. Gives up after 10 s. */
static void *wait_for_the_ticker(void *unused)
{
    (void)unused;
    for (int i = 0; i < 10000 && atomic_load(&ticks) < TICKS; i++)
        real_sleep_ms(1);
    return (void *)(intptr_t)gettid();
}

static void *my_tid(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)gettid();
}

static atomic_int running, most_running;

static void *count_while_sleeping(void *arg)
{
    int now = atomic_fetch_add(&running, 1) + 1;
    int most = atomic_load(&most_running);
    while (now > most && !atomic_compare_exchange_weak(&most_running, &most, now))
        ;
    real_sleep_ms(10);
    atomic_fetch_sub(&running, 1);
    return (void *)((intptr_t)arg * 2);
}

static void *offload_one(void *arg)
{
    void *result = NULL;
    if (gp_offload(count_while_sleeping, arg, &result))
        return (void *)-1;
    return result;
}

int main(void)
{
    intptr_t self = gettid();
    void *result;
    gp_offload(my_tid, NULL, &result);
    printf("before any spawn, runs on the caller's OS thread: %s\n",
           (intptr_t)result == self ? "yes" : "no");

    gp_thread_t t;
    if (gp_spawn(&t, ticker, NULL))
        return 1;
    gp_offload(wait_for_the_ticker, NULL, &result);
    printf("green threads ran during the offload: %s, on another OS thread: %s\n",
           atomic_load(&ticks) == TICKS ? "yes" : "no", (intptr_t)result != self ? "yes" : "no");
    gp_join(t, NULL);

    gp_thread_t many[MANY];
    for (intptr_t i = 0; i < MANY; i++)
        if (gp_spawn(&many[i], offload_one, (void *)i))
            return 1;
    int right = 0;
    for (intptr_t i = 0; i < MANY; i++) {
        gp_join(many[i], &result);
        right += (intptr_t)result == i * 2;
    }
    const char *limit = getenv("GREENPATCH_POOL_SIZE");
    int most = atomic_load(&most_running);
    fprintf(stderr, "most offloads at once: %d\n", most);
    printf("%d offloads: results right: %s, within GREENPATCH_POOL_SIZE: %s\n", MANY,
           right == MANY ? "yes" : "no", limit && most <= atoi(limit) ? "yes" : "no");

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        gp_offload(my_tid, NULL, &result);
        _exit((intptr_t)result != gettid() ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    printf("a fork child offloads to a pool of its own: %s\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
    return 0;
}
