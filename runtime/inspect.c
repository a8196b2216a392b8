/* See inspect.h. */
#include "inspect.h"

#include "backtrace.h"
#include "diag.h"
#include "fiber.h"
#include "hub.h"
#include "identity.h"
#include "real.h"
#include "signals.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

enum {
    TRACE_FRAMES = 48,  /* a waiting thread's: the shim's few frames, then the program's */
    SIGNAL_FRAMES = 64, /* the handler's, through the signal frame */
    FDS_SHOWN = 8,      /* of a poll on many fds, the first few */
};

volatile sig_atomic_t gp__inspect_dump_due;

/* The green thread the signal interrupted, if any: written by the handler before it sets
 * gp__inspect_dump_due, read by the hub before it clears it. */
static struct {
    uint64_t id; /* 0: the hub, another OS thread, or nothing ran */
    char name[GP_NAME_SIZE];
    uintptr_t pc;
    int nframes;
    void *frames[SIGNAL_FRAMES];
} at_signal;

/* ---- in signal context ---- */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    (void)sig, (void)info;
    int saved_errno = errno;
    if (!gp__sched_main()) {
        static const char line[] = "greenpatch: thread dump: no green threads yet (the program "
                                   "has not started a second thread)\n";
        gp__real.write(2, line, sizeof line - 1);
    } else if (!gp__inspect_dump_due) {
        const struct gp_thread *t = gp__current;
        at_signal.id = 0;
        at_signal.nframes = 0;
        if (t && !t->is_hub) {
            at_signal.id = t->id;
            memcpy(at_signal.name, t->name, sizeof at_signal.name);
            at_signal.pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP];
            at_signal.nframes = backtrace(at_signal.frames, SIGNAL_FRAMES);
        }
        gp__inspect_dump_due = 1;
        /* The next switch goes to the hub; a hub asleep in the kernel is woken (never from
         * a green thread: libev's write would enter the shim there, signals.c). */
        gp__signal_routing_needed = 1;
        if (!t || t->is_hub)
            gp__hub_wake_from_signal();
    }
    errno = saved_errno;
}

void gp__inspect_start(void)
{
    if (gp__config.disabled)
        gp__config.dump_signal = 0; /* every call passes to libc: the signal stays the program's */
    if (!gp__config.dump_signal)
        return;
    gp__real_bind_all(); /* on_signal writes through the table */
    if (gp__backtrace_install_handler(gp__config.dump_signal, on_signal) != 0)
        gp__diag("GREENPATCH_DUMP_SIGNAL: cannot install the handler of signal %d (%s): no "
                 "thread dump", gp__config.dump_signal, strerror(errno));
}

/* ---- on the hub ---- */

static double seconds(int64_t ns) { return (double)ns / 1e9; }

static const char *events_name(int events)
{
    switch (events & (GP_HUB_READ | GP_HUB_WRITE)) {
    case GP_HUB_READ: return "readable";
    case GP_HUB_WRITE: return "writable";
    default: return "readable or writable";
    }
}

/* " (NAME)" when the program's object at p has a name (an exported global), else "". */
static const char *object_name(const void *p, char *buf, size_t size)
{
    const char *name = gp__backtrace_name(p);
    if (!name)
        return "";
    snprintf(buf, size, " (%s)", name);
    return buf;
}

/* What t waits for, into text. */
static void describe_park(const struct gp_thread *t, int64_t now, char *text, size_t size)
{
    const struct gp_park *p = &t->park;
    char name[128];
    int n = 0;
    bool timed = true; /* the park went through the hub's deadline (p->deadline is its) */
    switch (p->what) {
    case GP_PARK_FDS:
        if (p->nfds == 1) {
            n = snprintf(text, size, "waiting for fd %d to be %s", p->fds[0].fd,
                         events_name(p->fds[0].events));
            break;
        }
        n = snprintf(text, size, "waiting for one of %zu fds:", p->nfds);
        for (size_t i = 0, shown = 0; i < p->nfds && (size_t)n < size; i++) {
            if (!p->fds[i].events)
                continue;
            n += snprintf(text + n, size - (size_t)n, shown < FDS_SHOWN ? " fd %d %s" : " ...",
                          p->fds[i].fd, events_name(p->fds[i].events));
            if (++shown > FDS_SHOWN)
                break;
        }
        break;
    case GP_PARK_QUEUE:
    case GP_PARK_MUTEX:
    case GP_PARK_COND:
        n = snprintf(text, size, "waiting on %s %p%s",
                     p->what == GP_PARK_QUEUE   ? "the wait queue of address"
                     : p->what == GP_PARK_MUTEX ? "mutex at"
                                                : "condition variable at",
                     p->obj, object_name(p->obj, name, sizeof name));
        break;
    case GP_PARK_JOIN:
        n = snprintf(text, size, "joining green thread %llu",
                     (unsigned long long)((const struct gp_thread *)p->obj)->id);
        break;
    case GP_PARK_POOL:
        timed = false;
        n = snprintf(text, size, "in the worker pool, running %p%s", p->obj,
                     object_name(p->obj, name, sizeof name));
        break;
    case GP_PARK_SLEEP:
        n = snprintf(text, size, "sleeping until %.3f s on CLOCK_MONOTONIC (%.3f s from now)",
                     seconds(p->deadline), seconds(p->deadline - now));
        timed = false;
        break;
    case GP_PARK_NONE:
        n = snprintf(text, size, "parked");
        timed = false;
        break;
    }
    if (timed && p->deadline != GP_NO_DEADLINE && n >= 0 && (size_t)n < size)
        snprintf(text + n, size - (size_t)n, ", with a timeout %.3f s from now",
                 seconds(p->deadline - now));
}

struct trace {
    int n;
    void *frames[TRACE_FRAMES];
};

/* Runs on the probed thread's stack. */
static void take_trace(void *arg)
{
    struct trace *tr = arg;
    tr->n = backtrace(tr->frames, TRACE_FRAMES);
}

static void dump_thread(struct gp_thread *t, void *arg)
{
    int64_t now = *(const int64_t *)arg;
    char state[512];
    bool started = t->fiber.started;
    switch (t->state) {
    case GP_PARKED:
        describe_park(t, now, state, sizeof state);
        break;
    case GP_RUNNABLE:
        snprintf(state, sizeof state, started ? "runnable" : "runnable, not started yet");
        break;
    default:
        snprintf(state, sizeof state, t->state == GP_RUNNING ? "running" : "exited");
        break;
    }
    gp__diag("green thread %llu \"%s\"%s: %s, for %.3f s", (unsigned long long)t->id, t->name,
             t->is_main ? " (main)" : "", state, seconds(now - t->park.since));
    if (!started) {
        void *start[1] = {(void *)(uintptr_t)t->start};
        gp__diag("  its start routine:");
        gp__backtrace_write(start, 1, 0, true);
        return;
    }
    /* Its backtrace, taken on its own stack (fiber.h): the unwinder starts only from the
     * stack it runs on. */
    struct trace tr;
    gp__fiber_probe(&gp__current->fiber, &t->fiber, take_trace, &tr);
    /* From the shim function the program called (the park site) outwards. The first
     * frames may be backtrace()'s own outside the shim (a sanitizer's interceptor). */
    int first = 0;
    while (first < tr.n && !gp__backtrace_in_shim((uintptr_t)tr.frames[first]))
        first++;
    while (first < tr.n && gp__backtrace_in_shim((uintptr_t)tr.frames[first]))
        first++;
    gp__backtrace_write(tr.frames, tr.n, first > 0 ? first - 1 : 0, false);
}

void gp__inspect_dump(void)
{
    int64_t now = gp__now_ns();
    gp__diag("thread dump (signal %d): %zu green thread%s on OS thread %d", gp__config.dump_signal,
             gp__sched_live, gp__sched_live == 1 ? "" : "s", (int)gp__sched_os_tid());
    if (at_signal.id) {
        gp__diag("green thread %llu \"%s\" was running when the signal came, at:",
                 (unsigned long long)at_signal.id, at_signal.name);
        gp__backtrace_write_interrupted(at_signal.frames, at_signal.nframes, at_signal.pc);
    }
    gp__signal_each_thread(dump_thread, &now);
    gp__diag("end of thread dump");
    gp__inspect_dump_due = 0;
}
