/* Shared by the thread helper programs (seed_tasks, threads_basic, mutex_cond, sleeps,
 * errno_kept, no_threads, old_symver, stack_overflow, main_exit). Plain libc only: these
 * programs stand for unmodified programs and know nothing of the shim.
 *
 * How many OS threads the process has legitimately differs between a native run (N live
 * threads: N + 1 kernel tasks) and a run under the shim (always 1), so it goes to stderr,
 * never to stdout (which the tests compare byte for byte), and only when the test asks for
 * it with REPORT_OS_THREADS=1. */
#ifndef THREAD_PROG_H
#define THREAD_PROG_H

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline bool os_thread_reports_wanted(void)
{
    const char *wanted = getenv("REPORT_OS_THREADS");
    return wanted && strcmp(wanted, "1") == 0;
}

/* Counts the entries of /proc/self/task: one per kernel task (OS thread) of this process. */
static inline int os_thread_count_of_self(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    return count;
}

/* Writes "os-threads WHERE: N" to stderr when REPORT_OS_THREADS=1. */
static inline void report_os_threads(const char *where)
{
    if (os_thread_reports_wanted())
        fprintf(stderr, "os-threads %s: %d\n", where, os_thread_count_of_self());
}

static inline const char *yes_no(bool b) { return b ? "yes" : "no"; }

/* "0" or the symbolic name of an error number ("EBUSY"), so that expected failures print
 * the same text natively and under the shim. */
static inline const char *error_name(int error)
{
    if (error == 0)
        return "0";
    const char *name = strerrorname_np(error);
    return name ? name : "E?";
}

/* For calls that must succeed for the program to go on at all (pthread_create of a helper
 * thread, pipe, ...): a failure there is a broken run, not an observation to print. */
static inline void must_succeed(int error, const char *what)
{
    if (error != 0) {
        fprintf(stderr, "%s failed: %s\n", what, error_name(error));
        exit(1);
    }
}

static inline pthread_t start_thread(const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    pthread_t thread;
    must_succeed(pthread_create(&thread, attr, fn, arg), "pthread_create");
    return thread;
}

static inline void *join_or_die(pthread_t thread)
{
    void *value;
    must_succeed(pthread_join(thread, &value), "pthread_join");
    return value;
}

static inline struct timespec timespec_plus_ms(struct timespec t, long ms)
{
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* The absolute time ms milliseconds from now on clock, for the *timed* and *clock* calls. */
static inline struct timespec deadline_in(clockid_t clock, long ms)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return timespec_plus_ms(now, ms);
}

/* Whole timespecs, not doubles: a double holds CLOCK_REALTIME only to a quarter of a
 * microsecond, too coarse to say "not early" about a wake-up right at the deadline. */
static inline bool deadline_reached(clockid_t clock, struct timespec deadline)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec > deadline.tv_sec ||
           (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

enum { STACK_FRAME_BYTES = 2048 };

/* Uses about depth * STACK_FRAME_BYTES of stack, writing every byte of it (so that no guard
 * page is jumped over), and returns depth + 1 when every frame still holds what it wrote.
 * The frame's buffer is passed down so that the compiler can neither turn the recursion
 * into a loop nor drop the frame. */
static __attribute__((noinline, unused)) unsigned use_stack(unsigned depth,
                                                           volatile unsigned char *parent)
{
    volatile unsigned char frame[STACK_FRAME_BYTES];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (unsigned char)depth;
    if (parent)
        frame[0] = parent[0];
    if (depth == 0)
        return 1;
    unsigned below = use_stack(depth - 1, frame);
    return below + (frame[sizeof frame - 1] == (unsigned char)depth);
}

#ifndef __cplusplus /* C designated initialisers below; the C++ helpers do not need this */
/* Waits on a condition variable that a timer_create(SIGEV_THREAD) callback signals 100 ms
 * from now, from a thread that glibc starts itself (an OS thread the shim does not run).
 * Returns the last pthread_cond_timedwait result (0, or ETIMEDOUT after 5 s) and says in
 * *signalled whether the callback's signal came. */
struct timer_wake {
    pthread_mutex_t lock;
    pthread_cond_t fired;
    bool done;
};

static inline void timer_wake_fire(union sigval v)
{
    struct timer_wake *w = v.sival_ptr;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->fired);
    pthread_mutex_unlock(&w->lock);
}

static inline int wait_for_a_timer_thread(bool *signalled)
{
    static struct timer_wake w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    w.done = false;
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = timer_wake_fire,
                          .sigev_value = {.sival_ptr = &w}};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in_100ms = {.it_value = {.tv_nsec = 100000000}};
    must_succeed(timer_settime(timer, 0, &in_100ms, NULL) ? errno : 0, "timer_settime");
    struct timespec at = deadline_in(CLOCK_REALTIME, 5000);
    int r = 0;
    pthread_mutex_lock(&w.lock);
    while (!w.done && r == 0)
        r = pthread_cond_timedwait(&w.fired, &w.lock, &at);
    *signalled = w.done;
    pthread_mutex_unlock(&w.lock);
    timer_delete(timer);
    return r;
}
#endif

#endif
