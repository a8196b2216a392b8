/* Deadlines: nanoseconds on CLOCK_MONOTONIC. Waits take an absolute deadline so that a
 * wait that is resumed after a spurious wake-up never extends its timeout. */
#ifndef GP_CLOCK_H
#define GP_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define GP_NO_DEADLINE INT64_MAX

static inline int64_t gp__clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t gp__now_ns(void) { return gp__clock_ns(CLOCK_MONOTONIC); }

static inline bool gp__timespec_valid(const struct timespec *ts)
{
    return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static inline int64_t gp__timespec_ns(const struct timespec *ts)
{
    if (ts->tv_sec > INT64_MAX / 1000000000 - 1)
        return GP_NO_DEADLINE;
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* now + ns, saturating. */
static inline int64_t gp__deadline_after(int64_t ns)
{
    int64_t now = gp__now_ns();
    return ns > GP_NO_DEADLINE - now ? GP_NO_DEADLINE : now + ns;
}

/* now + ns, or deadline when that comes first: one poll within a wait's deadline. */
static inline int64_t gp__deadline_within(int64_t ns, int64_t deadline)
{
    int64_t poll = gp__deadline_after(ns);
    return poll < deadline ? poll : deadline;
}

/* One step of a growing poll, for a wait that nothing will wake: the deadline now + *pause,
 * after which *pause has doubled, up to max. The caller parks until the deadline, looks
 * again, and calls this again. */
static inline int64_t gp__backoff_step(int64_t *pause, int64_t max)
{
    int64_t now = *pause;
    *pause = now < max / 2 ? now * 2 : max;
    return gp__deadline_after(now);
}

/* The monotonic deadline for an absolute time on clock (CLOCK_REALTIME or CLOCK_MONOTONIC).
 * A realtime deadline is converted once: a later change of the system clock does not
 * move it (unlike the kernel's own realtime waits). */
static inline int64_t gp__deadline_from_abs(clockid_t clock, const struct timespec *abs)
{
    int64_t at = gp__timespec_ns(abs);
    if (clock == CLOCK_MONOTONIC || at == GP_NO_DEADLINE)
        return at;
    return gp__deadline_after(at - gp__clock_ns(clock));
}

#endif
