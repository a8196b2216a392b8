/* The thread dump, GREENPATCH_DUMP_SIGNAL=SIG (a name such as SIGUSR2, or a number; off by
 * default, so that no program's signal changes meaning): on that signal, every green thread
 * is listed on stderr with its id, name, state (runnable; waiting for fd N to be readable;
 * sleeping; waiting on a mutex or condition variable at an address; joining thread N; in
 * the worker pool...), how long it has been in that state, and a symbolized backtrace of
 * where it waits, from the shim function it called (the park site) out through the
 * program's frames.
 *
 * How. The handler only notes the request, with the green thread it interrupted and that
 * thread's backtrace (as the detector's handler does, watchdog.c), and makes the next
 * switch go to the hub (waking it if it sleeps in the kernel); the hub writes the dump
 * between two polls, when every green thread is switched out and nothing changes under
 * it. A waiting thread's backtrace cannot be read from its saved fiber context from
 * outside (the program's code has no frame pointers as a rule, and libgcc's unwinder starts
 * only from the stack it runs on), so the hub "probes" each one (gp__fiber_probe): it
 * switches to the thread's stack, where backtrace() runs inside the switch the thread waits
 * in, and straight back, with nothing else of the thread's run (no signal mask, TLS or
 * errno change: only the fiber switch itself). A thread that has never run shows its start
 * routine. A program whose one green thread never lets go of the OS thread gets its dump
 * when it does: for such a program use GREENPATCH_BLOCK_WARN_MS.
 *
 * The signal is the shim's from load on: the program's sigaction for it is kept and shown
 * to it but never installed, and no green thread's mask holds it out.
 *
 * Cost: off, one load and branch on each park, yield, unpark and switch-in (and, in each
 * switch, the test for a probe). On, a clock read at each change of state (the time in
 * it). The waits say what they wait for whatever the setting: a field write or two. */
#ifndef GP_INSPECT_H
#define GP_INSPECT_H

#include "clock.h"
#include "config.h"
#include "scheduler.h"

#include <signal.h>

/* Set by the handler, cleared by the hub once the dump is written. */
extern volatile sig_atomic_t gp__inspect_dump_due;

/* Installs the dump's handler when the setting is on; called once the settings are read. */
void gp__inspect_start(void);

void gp__inspect_dump(void);

/* t entered a new state (parked, runnable, running). */
static inline void gp__inspect_state(struct gp_thread *t)
{
    if (__builtin_expect(gp__config.dump_signal != 0, 0))
        t->park.since = gp__now_ns();
}

/* Run by the hub between polls. */
static inline void gp__inspect_hub(void)
{
    if (__builtin_expect(gp__inspect_dump_due, 0))
        gp__inspect_dump();
}

/* The calling green thread's next park waits for what (scheduler.h, enum gp_park_what):
 * said by a specific layer before it calls the generic wait. */
static inline void gp__inspect_say(enum gp_park_what what, const void *obj)
{
    gp__current->park.what = what;
    gp__current->park.obj = obj;
}

/* The same from a generic wait: only when nothing more specific was said. */
static inline void gp__inspect_say_default(enum gp_park_what what, const void *obj)
{
    if (gp__current->park.what == GP_PARK_NONE)
        gp__inspect_say(what, obj);
}

#endif
