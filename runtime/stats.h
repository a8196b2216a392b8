/* GREENPATCH_STATS=1: a summary on stderr when the process exits (exit(), a return from
 * main, or the last green thread's end; not _exit, nor a death by signal): green threads
 * created and the most alive at once, switches, hub wake-ups, pool jobs and workers, and
 * the longest time one green thread kept the OS thread, with its id and name. A fork
 * child counts from zero.
 *
 * Cost: the counters are kept whatever the setting, each one plain increment where
 * something costlier happens anyway (a spawn, a hub poll, a pool job; the switch count is
 * the detector's, watchdog.h). Only the longest hold needs a clock read at each switch:
 * that is done only with the setting on. */
#ifndef GP_STATS_H
#define GP_STATS_H

#include "config.h"
#include "scheduler.h"

#include <stdint.h>

struct gp_stats {
    uint64_t created;      /* green threads spawned (main not included) */
    uint64_t peak_alive;   /* most green threads alive at once (main included) */
    uint64_t hub_wakeups;  /* times the hub slept in the kernel and woke */
    uint64_t pool_jobs;    /* calls run on a worker */
    uint64_t pool_workers; /* worker threads started */
    int64_t run_start;     /* when the running green thread was switched in (0: unknown) */
    int64_t longest_hold;  /* ns */
    uint64_t holder_id;
    char holder_name[16];
};

/* Written on the scheduler's OS thread only, except pool_workers (under the pool's lock). */
extern struct gp_stats gp__stats;

/* Registers the summary at exit when the setting is on; called once the settings are
 * read. */
void gp__stats_start(void);

void gp__stats_hold_ended(const struct gp_thread *from);

/* A thread was spawned (gp__sched_live counts it already). */
static inline void gp__stats_spawned(void)
{
    gp__stats.created++;
    if (gp__sched_live > gp__stats.peak_alive)
        gp__stats.peak_alive = gp__sched_live;
}

/* The OS thread goes from the fiber from (NULL: one that exited) to another. */
static inline void gp__stats_switch(const struct gp_thread *from)
{
    if (__builtin_expect(gp__config.stats, 0))
        gp__stats_hold_ended(from);
}

#endif
