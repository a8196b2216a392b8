/* Keyed wait queues: a green futex. A green thread waits on an address (a pthread mutex or
 * condition variable of the program) and another wakes the waiters of that address. The
 * table is a fixed array of buckets and every waiter lives on its own stack, so waiting
 * and waking never allocate and the program's objects need no extra state. */
#ifndef GP_WAITQ_H
#define GP_WAITQ_H

#include "scheduler.h"

#include <stdint.h>

/* Parks the caller on key until woken (GP_WAKE_READY) or deadline (GP_WAKE_TIMEOUT). */
enum gp_wake gp__waitq_wait(const void *key, int64_t deadline);
/* The same, in a wait that a signal handler may end as intr says: then GP_WAKE_INTERRUPT,
 * even when a wake came too (the caller passes on a wake it does not use). */
enum gp_wake gp__waitq_wait_intr(const void *key, int64_t deadline, enum gp_interrupt intr);
/* Wakes up to n waiters of key, oldest first; returns how many it woke. */
int gp__waitq_wake(const void *key, int n);
/* In a fork child: the waiters were other threads, which the child does not have. */
void gp__waitq_after_fork(void);

#endif
