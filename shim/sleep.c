/* Sleeping lets the other green threads run. Each is a cancellation point.
 * Interposes: sleep, usleep, nanosleep, clock_nanosleep.
 *
 * coverage cooperative: sleep usleep nanosleep clock_nanosleep */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "hub.h"
#include "timeout.h"

#include <time.h>
#include <unistd.h>

/* Sleeps until deadline. Returns 0, or -EINTR with *remaining_ns set when a signal
 * handler interrupted the sleep, or -ETIMEDOUT with *remaining_ns set when the timeout
 * scope's deadline (runtime/timeout.h) came first. */
static int sleep_until(int64_t deadline, int64_t *remaining_ns)
{
    /* A sleep that is over before it starts (usleep(0), Python's time.sleep(0), a
     * TIMER_ABSTIME time already past) is how programs give up the processor, often in a
     * loop until another thread has acted: the others get their turn, as after every "not
     * yet" (shim.h). */
    if (deadline <= gp__now_ns()) {
        gp__sched_yield();
        return 0;
    }
    int64_t until = gp__timeout_bound(deadline);
    for (;;) {
        enum gp_wake why = gp__hub_park_until(until, GP_INTR_ALWAYS);
        if (why == GP_WAKE_TIMEOUT && until == deadline)
            return 0;
        if (why == GP_WAKE_INTERRUPT || why == GP_WAKE_TIMEOUT) {
            int64_t left = deadline - gp__now_ns();
            *remaining_ns = left > 0 ? left : 0;
            return why == GP_WAKE_TIMEOUT ? -ETIMEDOUT : -EINTR;
        }
    }
}

static void set_timespec(struct timespec *ts, int64_t ns)
{
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

/* The clocks whose time passes on its own; CPU-time clocks are left to the kernel. */
static bool wall_clock(clockid_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME ||
           clock == CLOCK_TAI;
}

/* clock_nanosleep's contract: returns an error number, never sets errno. */
static int green_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                                 struct timespec *rem)
{
    if (!gp__timespec_valid(req) || req->tv_sec < 0)
        return EINVAL;
    int64_t deadline = (flags & TIMER_ABSTIME) ? gp__deadline_from_abs(clock, req)
                                               : gp__deadline_after(gp__timespec_ns(req));
    int64_t left;
    int r = sleep_until(deadline, &left);
    gp__cancel_point();
    if (r == 0)
        return 0;
    if (rem && !(flags & TIMER_ABSTIME))
        set_timespec(rem, left);
    return -r;
}

GP_EXPORT_VERSIONS(clock_nanosleep, "GLIBC_2.17", "GLIBC_2.2.5")
int gp_shim_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                            struct timespec *rem)
{
    gp__cancel_point();
    if (!gp_cooperative() || !wall_clock(clock))
        return gp__real.clock_nanosleep(clock, flags, req, rem);
    int saved = errno;
    return gp_return_error(-green_clock_nanosleep(clock, flags, req, rem), saved);
}

GP_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.nanosleep(req, rem);
    int saved = errno;
    return (int)gp_return(-green_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem), saved);
}

GP_EXPORT int usleep(useconds_t usec)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.usleep(usec);
    struct timespec req = {.tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000};
    int saved = errno;
    return (int)gp_return(-green_clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), saved);
}

GP_EXPORT unsigned sleep(unsigned seconds)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.sleep(seconds);
    struct timespec req = {.tv_sec = seconds}, rem;
    int saved = errno;
    int r = green_clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    if (r == 0) {
        errno = saved;
        return 0;
    }
    /* As glibc's sleep: the whole seconds left, and errno says EINTR (or ETIMEDOUT: the
     * timeout scope ended it, and the others get a turn, as after every call that ran out
     * of time: `while ((left = sleep(left)))` in a scope that has passed freezes no one). */
    if (r == ETIMEDOUT)
        gp__sched_yield();
    errno = r;
    return (unsigned)rem.tv_sec;
}
