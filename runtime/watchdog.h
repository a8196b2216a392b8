/* The blocking detector, GREENPATCH_BLOCK_WARN_MS=N: a green thread that keeps the OS
 * thread for N ms or more while other green threads exist (none of them can run, nor even
 * have its I/O polled, until it lets go: a CPU loop, a thread spinning on a flag that
 * another green thread would set, a blocking call the shim does not cover) is reported
 * once, on stderr, with its id, its name, how long it has held the OS thread and a
 * symbolized backtrace of where it is.
 *
 * How. The scheduler counts switches (gp__watchdog_switched, one plain increment of a
 * counter on every switch-in, which GREENPATCH_STATS can read too). A real OS thread, the
 * watchdog, started with the scheduler only when the setting is on, samples the counter
 * every N/4 ms: a counter that has not moved for N ms means one fiber has held the OS thread
 * all that time. It then asks the scheduler's OS thread which fiber that is and where, with
 * a real-time signal whose handler records the running green thread and a backtrace; the
 * watchdog symbolizes and writes the report, so nothing but the capture runs in signal
 * context. A hold by the hub (blocked in the kernel because nothing is runnable: an idle
 * program) is no report. Time the kernel kept the OS thread waiting for a CPU (a loaded
 * machine; /proc/self/task/TID/schedstat's run delay) is no hold either.
 *
 * Why "while others exist" and not "while others are runnable": a thread that keeps the OS
 * thread starves every other green thread, also those waiting for I/O or a timer, which
 * cannot even be polled meanwhile (the hub polls only when a thread switches), so whether
 * one of them would be runnable is unknown, and beside the point. A program with one green
 * thread starves nobody and gets no report.
 *
 * The signal. The highest real-time signal (SIGRTMAX down to SIGRTMIN) that is at SIG_DFL
 * when the scheduler starts: programs that use real-time signals (POSIX timers, glib, JVMs)
 * count up from SIGRTMIN, and one at SIG_DFL is one the program handles nowhere. It never
 * changes the meaning of the program's signals: the program sees its own action for it
 * (sigaction shows what it set), its own mask (the signal is held out of the real mask
 * only), and a signal of that number that does not come from the watchdog goes to the
 * program's action as any other. It does interrupt what it finds: a blocking call the
 * shim does not cover that the kernel never restarts (nanosleep, poll, epoll_wait: signal(7))
 * returns EINTR, once per report, as with any signal that has a handler.
 *
 * Cost: when the setting is off, no thread, no timer, no signal, no descriptor, and on the
 * switch path only the counter. When on, a thread that wakes four times per N ms (and reads
 * schedstat, through one descriptor kept open, at each look during a hold), and one signal
 * per hold of N ms or more (also one per idle stretch of the hub of N ms or more). Being a
 * second OS thread, it also ends the kernel's single-threaded fast paths (a file table that
 * is not shared: every system call on a descriptor then counts a reference), as the pool's
 * first worker does: about 10% on a pipe ping-pong, nothing measurable on switches
 * (scripts/bench-detector). */
#ifndef GP_WATCHDOG_H
#define GP_WATCHDOG_H

#include <signal.h>
#include <stdint.h>

/* Switches into a fiber (green thread or hub) since the scheduler started. Written by the
 * scheduler's OS thread only; read by the watchdog with relaxed atomic loads. */
extern uint64_t gp__watchdog_switches;

/* Called on every switch-in (finish_switch_in): one writer, so a relaxed load and store (a
 * plain add on x86_64), not a locked read-modify-write. */
static inline void gp__watchdog_switched(void)
{
    __atomic_store_n(&gp__watchdog_switches,
                     __atomic_load_n(&gp__watchdog_switches, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
}

/* The signal the watchdog asks with, or 0 while it is off. signals.c keeps it out of the
 * real mask and shows the program its own action for it. */
extern int gp__watchdog_signal;

/* Starts the watchdog if GREENPATCH_BLOCK_WARN_MS is set; called by the scheduler thread
 * when the scheduler starts (the watchdog then signals this OS thread). */
void gp__watchdog_start(void);

#endif
