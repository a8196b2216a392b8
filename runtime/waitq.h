/* Keyed wait queues: a green futex. A green thread waits on an address (a pthread mutex or
 * condition variable of the program, or a futex word it gave to syscall(SYS_futex)) and
 * another wakes the waiters of that address. The table is a fixed array of buckets and
 * every waiter lives on its own stack, so waiting and waking never allocate and the
 * program's objects need no extra state. */
#ifndef GP_WAITQ_H
#define GP_WAITQ_H

#include "scheduler.h"

#include <stdint.h>

/* Every bit: the waiter of a pthread object, and FUTEX_BITSET_MATCH_ANY. */
#define GP_WAITQ_ALL_BITS UINT32_MAX

/* Parks the caller on key until woken (GP_WAKE_READY) or deadline (GP_WAKE_TIMEOUT). */
enum gp_wake gp__waitq_wait(const void *key, int64_t deadline);
/* The same, in a wait that a signal handler may end as intr says: then GP_WAKE_INTERRUPT,
 * even when a wake came too (the caller passes on a wake it does not use). */
enum gp_wake gp__waitq_wait_intr(const void *key, int64_t deadline, enum gp_interrupt intr);
/* The same, for a futex wait: woken only by wakes whose bits share one with bits, and, as
 * intr says, by signal handlers. Those deferred to the caller run once it is off the
 * queue; GP_WAKE_INTERRUPT says they end the wait, GP_WAKE_SIGNAL that they ran and the
 * wait restarts (the caller checks its condition again, as a restarted system call does).
 * A wake that came with a handler stands: it is never lost for an EINTR. */
enum gp_wake gp__waitq_wait_bits(const void *key, uint32_t bits, int64_t deadline,
                                 enum gp_interrupt intr);
/* Wakes up to n waiters of key, oldest first; returns how many it woke. */
int gp__waitq_wake(const void *key, int n);
/* The same, only waiters whose bits share one with bits. */
int gp__waitq_wake_bits(const void *key, int n, uint32_t bits);
/* In a fork child: the waiters were other threads, which the child does not have. */
void gp__waitq_after_fork(void);

#endif
