/* Futexes that programs drive themselves through syscall(SYS_futex, ...), as GLib's
 * GMutex and GCond, lock-free queues and language runtimes do. A green thread whose wait
 * would block parks on the wait table (waitq.h) keyed by the futex word's address, and a
 * wake wakes the green waiters there as well as the real ones in the kernel (OS threads
 * the scheduler does not run). */
#ifndef GP_FUTEX_H
#define GP_FUTEX_H

#include <stdint.h>

/* futex(uaddr, op, val, arg4, uaddr2, val3) from a green thread, or from an OS thread the
 * scheduler does not run while the scheduler runs; arg4 is the timeout or val2, as the op
 * says. Returns what the system call returns, or a negative errno. */
long gp__futex(uint32_t *uaddr, int op, uint32_t val, long arg4, uint32_t *uaddr2, uint32_t val3);
/* In a fork child: the parked waiters were other threads, which the child does not have. */
void gp__futex_after_fork(void);

#endif
