/* Green POSIX semaphores, built in the program's own sem_t.
 *
 * The semaphore keeps glibc's word protocol (glibc 2.36, nptl/sem_waitcommon.c and
 * sem_post.c, x86_64 with 64-bit atomics): a 64-bit word with the value in its low 32 bits
 * and the number of waiters blocked in the kernel in its high 32 bits, then an int that is
 * 0 for a private semaphore and FUTEX_PRIVATE_FLAG (128) for a process-shared or named one.
 * Green waiters of a private semaphore take tokens from the same word and park in the wait
 * table (waitq.h) keyed by the sem_t's address; they never count themselves as kernel
 * waiters, so that glibc's own sem_post wakes only the OS threads that sleep in the kernel.
 * Process-shared and named semaphores can be posted by another process, which the wait
 * table never sees: a green thread waits for one on a worker of the pool (pool.h), in
 * glibc's own wait, which counts it as a kernel waiter. */
#ifndef GP_SEM_H
#define GP_SEM_H

#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

/* Takes a token for the calling green thread, waiting until deadline (clock.h). In the
 * wait for a private semaphore a signal handler ends the wait as it ends glibc's: one with
 * SA_RESTART restarts a wait without a deadline (sem_wait), any other and any handler in a
 * timed wait make it fail with EINTR (signal(7)). The wait for a shared one on a worker
 * is not interruptible (pool.h). Returns 0, -ETIMEDOUT or -EINTR. */
int gp__sem_wait(sem_t *s, int64_t deadline);
/* Adds a token and wakes a waiter: a kernel one through glibc, a green one through the
 * wait table, or through the hub when the caller is an OS thread the scheduler does not
 * run or a signal handler (async-signal-safe, as sem_post). Any OS thread, once the
 * scheduler has started. Returns 0 or -EOVERFLOW. */
int gp__sem_post(sem_t *s);

#endif
