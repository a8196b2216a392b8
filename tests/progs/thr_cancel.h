/* Shared by the cancellation programs (thr_cancel, cancel_points): a target thread that
 * announces it is about to block in a call, and a canceller that waits for that (and a
 * little more, so that natively the target is inside the call) before it cancels it.
 * Plain pthreads. */
#ifndef THR_CANCEL_H
#define THR_CANCEL_H

#include "thr_steps.h"
#include "thread_prog.h"

#include <fcntl.h>
#include <unistd.h>

static inline void handler(void *what) { printf("  cleanup handler: %s\n", (const char *)what); }

/* The target says it is about to block: one step on. Returns the step it made, so that a
 * target can then wait for the canceller's next one. */
static inline int announce_ready(void)
{
    pthread_mutex_lock(&step_lock);
    int made = ++step;
    pthread_cond_broadcast(&step_cond);
    pthread_mutex_unlock(&step_lock);
    return made;
}

/* The canceller's count of steps (one canceller at a time): it waits for a target's step,
 * or makes one for a target to wait for. */
static int canceller_step;

static inline void await_ready(void)
{
    wait_step(++canceller_step);
    usleep(20000);
}

static inline void go_on(void) { set_step(++canceller_step); }

static inline void print_join(int cancel_result, void *value)
{
    printf("  pthread_cancel: %s, join: %s\n", error_name(cancel_result),
           value == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");
}

/* Cancels th and joins it. */
static inline void cancel_and_join(pthread_t th)
{
    int r = pthread_cancel(th);
    print_join(r, join_or_die(th));
}

struct target {
    const char *name;
    void (*block)(void);
};

/* What a program does first in each target thread (thr_cancel sets a thread-specific value). */
static void (*target_setup)(const struct target *t);

static inline void *target_main(void *arg)
{
    const struct target *t = arg;
    if (target_setup)
        target_setup(t);
    pthread_cleanup_push(handler, (void *)t->name);
    announce_ready();
    t->block();
    printf("  %s RETURNED\n", t->name);
    pthread_cleanup_pop(0);
    return NULL;
}

/* A target blocked in t's call is cancelled; the first one reports the OS thread count. */
static inline void cancel_blocked(const struct target *t)
{
    static bool reported;
    printf("cancel a thread blocked in %s:\n", t->name);
    pthread_t th = start_thread(NULL, target_main, (void *)t);
    await_ready();
    if (!reported)
        report_os_threads("target-blocked");
    reported = true;
    cancel_and_join(th);
}

/* Writes junk into fd (filling) or reads from it until that would block, with O_NONBLOCK
 * set only meanwhile. */
static inline void until_blocked(int fd, bool filling)
{
    static char junk[4096];
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    while ((filling ? write(fd, junk, sizeof junk) : read(fd, junk, sizeof junk)) > 0)
        ;
    fcntl(fd, F_SETFL, flags);
}

/* Fills fd's buffer: the next write waits. */
static inline void fill(int fd) { until_blocked(fd, true); }

/* Empties fd's buffer. */
static inline void drain(int fd) { until_blocked(fd, false); }

#endif
