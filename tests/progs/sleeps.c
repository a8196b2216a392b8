/* Sleeping: seven threads sleep at once, each with a different call and a duration 100 ms
 * apart from the next (usleep, nanosleep, clock_nanosleep relative and TIMER_ABSTIME on
 * CLOCK_MONOTONIC and CLOCK_REALTIME, sleep), so that the order they wake in is certain.
 * Checks the order, the return values, that no sleep ended before its time, and that the
 * sleeps overlapped (a generous property, not a timing measurement: the wall time must be
 * below 0.8 times the sum of the durations). Then the invalid arguments: nanosleep returns
 * -1 with errno EINVAL, clock_nanosleep returns EINVAL and leaves errno alone. */
#include "thread_prog.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static double seconds_on(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

enum how { USLEEP, NANOSLEEP, CLOCK_NANOSLEEP_RELATIVE, CLOCK_NANOSLEEP_ABSOLUTE, SLEEP };

struct sleeper {
    const char *name;
    enum how how;
    clockid_t clock;   /* for clock_nanosleep */
    int ms;            /* how long, counted from the common start for absolute sleeps */
    struct timespec common_start; /* read on `clock` by main, for absolute sleeps */
    int rc;            /* what the call returned */
    bool woke_early;   /* it returned before its time had come */
};

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *wake_order[16];
static int woken;

static void *run_sleeper(void *arg)
{
    struct sleeper *s = arg;
    struct timespec began;
    clock_gettime(CLOCK_MONOTONIC, &began);
    const struct timespec relative = timespec_plus_ms((struct timespec){0, 0}, s->ms);
    const struct timespec absolute = timespec_plus_ms(s->common_start, s->ms);
    switch (s->how) {
    case USLEEP:
        s->rc = usleep((useconds_t)s->ms * 1000);
        break;
    case NANOSLEEP:
        s->rc = nanosleep(&relative, NULL);
        break;
    case CLOCK_NANOSLEEP_RELATIVE:
        s->rc = clock_nanosleep(s->clock, 0, &relative, NULL);
        break;
    case CLOCK_NANOSLEEP_ABSOLUTE:
        s->rc = clock_nanosleep(s->clock, TIMER_ABSTIME, &absolute, NULL);
        break;
    case SLEEP:
        s->rc = (int)sleep((unsigned)s->ms / 1000);
        break;
    }
    if (s->how == CLOCK_NANOSLEEP_ABSOLUTE)
        s->woke_early = !deadline_reached(s->clock, absolute);
    else
        s->woke_early = !deadline_reached(CLOCK_MONOTONIC, timespec_plus_ms(began, s->ms));
    pthread_mutex_lock(&wake_lock);
    wake_order[woken++] = s->name;
    pthread_mutex_unlock(&wake_lock);
    return NULL;
}

static void check_concurrent_sleeps(void)
{
    /* Started longest first, so that the wake order cannot come from the start order. */
    struct sleeper sleepers[] = {
        {.name = "sleep", .how = SLEEP, .ms = 1000},
        {.name = "clock_nanosleep-realtime-abs", .how = CLOCK_NANOSLEEP_ABSOLUTE,
         .clock = CLOCK_REALTIME, .ms = 600},
        {.name = "clock_nanosleep-monotonic-abs", .how = CLOCK_NANOSLEEP_ABSOLUTE,
         .clock = CLOCK_MONOTONIC, .ms = 500},
        {.name = "clock_nanosleep-realtime-rel", .how = CLOCK_NANOSLEEP_RELATIVE,
         .clock = CLOCK_REALTIME, .ms = 400},
        {.name = "clock_nanosleep-monotonic-rel", .how = CLOCK_NANOSLEEP_RELATIVE,
         .clock = CLOCK_MONOTONIC, .ms = 300},
        {.name = "nanosleep", .how = NANOSLEEP, .ms = 200},
        {.name = "usleep", .how = USLEEP, .ms = 100},
    };
    enum { SLEEPERS = sizeof sleepers / sizeof sleepers[0] };
    pthread_t threads[SLEEPERS];
    double wall_start = seconds_on(CLOCK_MONOTONIC);
    double sum_s = 0;
    for (int i = 0; i < SLEEPERS; i++) {
        clock_gettime(sleepers[i].clock, &sleepers[i].common_start);
        sum_s += sleepers[i].ms / 1000.0;
        threads[i] = start_thread(NULL, run_sleeper, &sleepers[i]);
    }
    report_os_threads("sleepers-alive");
    for (int i = 0; i < SLEEPERS; i++)
        join_or_die(threads[i]);
    double wall_s = seconds_on(CLOCK_MONOTONIC) - wall_start;

    printf("wake order:");
    for (int i = 0; i < woken; i++)
        printf(" %s", wake_order[i]);
    printf("\nreturn values:");
    bool none_early = true;
    for (int i = 0; i < SLEEPERS; i++) {
        printf(" %s=%d", sleepers[i].name, sleepers[i].rc);
        none_early = none_early && !sleepers[i].woke_early;
    }
    printf("\nnone woke before its time: %s\n", yes_no(none_early));
    printf("overlapped: %s\n", yes_no(wall_s < 0.8 * sum_s));
}

/* ---- invalid arguments ---- */

/* nanosleep reports failure the usual way: -1 and errno. */
static void print_nanosleep_result(const char *label, struct timespec request)
{
    errno = 0;
    int rc = nanosleep(&request, NULL);
    printf("%s: %d, errno %s\n", label, rc, error_name(errno));
}

/* clock_nanosleep returns the error number and must not touch errno. */
static void print_clock_nanosleep_result(const char *label, clockid_t clock, int flags,
                                         struct timespec request)
{
    const int marker = 12345;
    errno = marker;
    int rc = clock_nanosleep(clock, flags, &request, NULL);
    printf("%s: %s, errno untouched: %s\n", label, error_name(rc), yes_no(errno == marker));
}

static void *check_invalid_arguments(void *arg)
{
    (void)arg;
    print_nanosleep_result("nanosleep tv_nsec 2e9", (struct timespec){0, 2000000000});
    print_nanosleep_result("nanosleep tv_sec -1", (struct timespec){-1, 0});
    print_nanosleep_result("nanosleep zero", (struct timespec){0, 0});
    const struct timespec ten_ms = {0, 10000000};
    print_clock_nanosleep_result("clock_nanosleep bad clock", (clockid_t)12345, 0, ten_ms);
    print_clock_nanosleep_result("clock_nanosleep CLOCK_THREAD_CPUTIME_ID",
                                 CLOCK_THREAD_CPUTIME_ID, 0, ten_ms);
    print_clock_nanosleep_result("clock_nanosleep tv_nsec 2e9", CLOCK_MONOTONIC, 0,
                                 (struct timespec){0, 2000000000});
    print_clock_nanosleep_result("clock_nanosleep tv_sec -1", CLOCK_MONOTONIC, 0,
                                 (struct timespec){-1, 0});
    print_clock_nanosleep_result("clock_nanosleep absolute in the past", CLOCK_MONOTONIC,
                                 TIMER_ABSTIME, (struct timespec){0, 0});
    printf("usleep(0): %d, sleep(0): %u\n", usleep(0), sleep(0));
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("sleeps start\n");
    check_concurrent_sleeps();
    /* In a thread of its own, so that under the shim the calls come from a green thread. */
    join_or_die(start_thread(NULL, check_invalid_arguments, NULL));
    return 0;
}
