/* The hub: a libev loop on its own fiber, the one place every parked green thread waits
 * from. It waits for fd readiness with an optional deadline, for deadlines alone, and for
 * wake-ups posted by other OS threads. When nothing can run it blocks in the kernel
 * (epoll_wait), so an idle process uses no CPU. */
#ifndef GP_HUB_H
#define GP_HUB_H

#include "scheduler.h"

#include <stdbool.h>
#include <stdint.h>

#include <signal.h>
#include <stddef.h>

enum { GP_HUB_READ = 1, GP_HUB_WRITE = 2 }; /* equal to libev's EV_READ and EV_WRITE */
/* In gp_hub_fd.fired: another green thread closed the fd while the wait was on. */
enum { GP_HUB_CLOSED = 4 };

/* One fd of a multi-fd wait (gp__hub_wait_fds); the caller's. */
struct gp_hub_fd {
    int fd;
    int events; /* GP_HUB_READ and/or GP_HUB_WRITE; 0: not watched this time */
    int fired;  /* set by the wait: the events reported, and GP_HUB_CLOSED */
};

/* Loads libev privately and creates the loop. Returns 0 or a negative errno. */
int gp__hub_init(void);
/* The hub fiber's body. */
_Noreturn void gp__hub_run(void);

/* Parks the calling green thread until it is unparked, deadline passes (GP_NO_DEADLINE:
 * no deadline) or, as intr says, a signal handler runs (GP_WAKE_INTERRUPT). Returns
 * GP_WAKE_TIMEOUT only once the deadline has really passed. */
enum gp_wake gp__hub_park_until(int64_t deadline, enum gp_interrupt intr);
/* Parks until fd is ready for events (GP_HUB_READ/GP_HUB_WRITE), the deadline passes,
 * another green thread closes fd (GP_WAKE_CLOSED), or as intr says, a signal handler runs. */
enum gp_wake gp__hub_wait_fd(int fd, int events, int64_t deadline, enum gp_interrupt intr);
/* Parks until one of the n fds is ready for its events, one is closed by another green
 * thread, the deadline passes or, as intr says, a signal handler runs; fds[i].fired says
 * which. One park for all of them, from the fds' waiter lists. mask (or NULL) is the
 * signal mask while parked, set once the wait is interruptible so that a signal it
 * unblocks ends the wait even when it was already pending; the handlers deferred to the
 * wait run under it. Returns why the park ended (enum gp_wake), or -ENOMEM when n is too
 * large for the stack and malloc fails. */
int gp__hub_wait_fds(struct gp_hub_fd *fds, size_t n, int64_t deadline, enum gp_interrupt intr,
                     const sigset_t *mask);
/* Called before fd is closed: every green thread waiting on it wakes with GP_WAKE_CLOSED. */
void gp__hub_fd_closing(int fd);

/* From an OS thread the scheduler does not run: wakes up to n green waiters of key (a
 * condition variable that thread signalled; see waitq.h) through the hub. Returns 0 or
 * -ENOMEM. */
int gp__hub_post_wake(const void *key, int n);
/* The same for one waiter, from a signal handler (which may have interrupted the
 * scheduler thread in the middle of the wait table): async-signal-safe. Returns 0, or
 * -EAGAIN when too many such wakes wait for the hub already. */
int gp__hub_post_wake_from_signal(const void *key);
/* A wake-up that an OS thread the scheduler does not run posts for one parked green
 * thread. The poster owns the memory, which must stay valid until the hub has unparked the
 * thread (the worker pool keeps it in the job, on the parked thread's own stack). */
struct gp_hub_unpark {
    struct gp_hub_unpark *next; /* on the hub's list of posted unparks */
    struct gp_thread *thread;   /* parked until the hub takes this */
    bool taken;                 /* set by the hub: from then on the memory is free again */
};
/* Any OS thread: has the hub set p->taken and unpark p->thread with GP_WAKE_READY.
 * Async-signal-safe. The thread must not give up p's memory before p->taken: an early
 * wake-up (a spurious unpark) is answered by parking again. */
void gp__hub_post_unpark(struct gp_hub_unpark *p);
/* In a fork child: a loop of the child's own, and no waiters (they were other threads). */
void gp__hub_after_fork(void);
/* From a signal handler: makes the hub look at what the handler noted (signals.h). */
void gp__hub_wake_from_signal(void);

#endif
