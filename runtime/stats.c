/* See stats.h. */
#include "stats.h"

#include "clock.h"
#include "diag.h"
#include "watchdog.h"

#include <pthread.h>
#include <string.h>

struct gp_stats gp__stats;

void gp__stats_hold_ended(const struct gp_thread *from)
{
    int64_t now = gp__now_ns();
    /* The hub's time is no hold: it lets go as soon as a thread can run (and is asleep in
     * the kernel otherwise). */
    if (from && !from->is_hub && gp__stats.run_start &&
        now - gp__stats.run_start > gp__stats.longest_hold) {
        gp__stats.longest_hold = now - gp__stats.run_start;
        gp__stats.holder_id = from->id;
        memcpy(gp__stats.holder_name, from->name, sizeof gp__stats.holder_name);
    }
    gp__stats.run_start = now;
}

static void reset_in_child(void)
{
    memset(&gp__stats, 0, sizeof gp__stats);
    gp__stats.peak_alive = gp__sched_live;
    __atomic_store_n(&gp__watchdog_switches, 0, __ATOMIC_RELAXED);
}

void gp__stats_start(void)
{
    if (gp__config.stats)
        pthread_atfork(NULL, NULL, reset_in_child);
}

/* At exit, also by the last green thread's exit(0) (scheduler.c), after the program's own
 * atexit handlers. */
__attribute__((destructor)) static void summary(void)
{
    if (!gp__config.stats || gp__config.disabled)
        return;
    gp__diag("stats: green threads created: %llu; most alive at once: %llu (main included)",
             (unsigned long long)gp__stats.created,
             (unsigned long long)(gp__stats.peak_alive ? gp__stats.peak_alive : 1));
    gp__diag("stats: switches: %llu; hub wake-ups: %llu",
             (unsigned long long)__atomic_load_n(&gp__watchdog_switches, __ATOMIC_RELAXED),
             (unsigned long long)gp__stats.hub_wakeups);
    gp__diag("stats: pool jobs: %llu, on %llu worker thread%s",
             (unsigned long long)gp__stats.pool_jobs,
             (unsigned long long)__atomic_load_n(&gp__stats.pool_workers, __ATOMIC_RELAXED),
             gp__stats.pool_workers == 1 ? "" : "s");
    if (gp__stats.holder_id)
        gp__diag("stats: longest hold of the OS thread: %.3f ms, by green thread %llu \"%s\"",
                 (double)gp__stats.longest_hold / 1e6, (unsigned long long)gp__stats.holder_id,
                 gp__stats.holder_name);
    else
        gp__diag("stats: longest hold of the OS thread: none (no switch between green threads)");
}
