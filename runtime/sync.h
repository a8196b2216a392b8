/* Green mutexes and condition variables, built in the program's own pthread objects.
 *
 * A mutex keeps glibc's layout and lock-word protocol (struct __pthread_mutex_s from
 * <bits/struct_mutex.h>: __lock 0 free, 1 held, 2 held with waiters in the kernel; __owner,
 * __count, __nusers), so statically initialised mutexes work, a mutex locked before the
 * first green thread existed can be unlocked after, and an OS thread the scheduler does
 * not run can still share it through the real functions. Only the owner differs: all green
 * threads share one TID, so each has its own lock id (struct gp_thread.lock_id).
 *
 * A condition variable's bytes are left to glibc: green waiters queue in the wait table
 * (waitq.h) keyed by its address. Checked against glibc 2.36 (Debian 12). */
#ifndef GP_SYNC_H
#define GP_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Lock m for the calling green thread; deadline as in clock.h, 0 for a trylock.
 * Returns 0, -EBUSY, -ETIMEDOUT, -EDEADLK, -EAGAIN or -EINVAL as glibc would. */
int gp__mutex_lock(pthread_mutex_t *m, int64_t deadline);
int gp__mutex_unlock(pthread_mutex_t *m);

/* Atomically releases m and waits for c, then relocks m. Returns 0, -ETIMEDOUT or the
 * error of releasing m (-EPERM). A cancellation point: pthread_cancel ends the wait, which
 * returns 0 with m locked (the caller then calls gp__cancel_point, cancel.h). */
int gp__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline);
/* Wakes one (all: every) green waiter of c, and any real waiters too. */
int gp__cond_wake(pthread_cond_t *c, bool all);
/* The same, called from an OS thread the scheduler does not run (a timer's SIGEV_THREAD
 * callback, say): the green waiters are woken through the hub. */
int gp__cond_wake_from_stranger(pthread_cond_t *c, bool all);
/* The clock of c's timed waits (pthread_condattr_setclock). */
clockid_t gp__cond_clock(const pthread_cond_t *c);
/* Process-shared condition variables are waited on by other processes: not ours to park. */
bool gp__cond_shared(const pthread_cond_t *c);

#endif
