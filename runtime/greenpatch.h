/* libgreenpatch public API: green threads for C programs, the C cousin of eventlet.spawn.
 *
 * These calls work in a program linked with -lgreenpatch and in any program running under
 * LD_PRELOAD=libgreenpatch.so. The first gp_spawn() turns the calling OS thread into the
 * scheduler's thread; every green thread runs on it. All functions return 0 or a positive
 * errno value, like the pthread functions; none of them sets errno. */
#ifndef GREENPATCH_H
#define GREENPATCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A green thread. Valid from gp_spawn() until gp_join() returns for it. */
typedef struct gp_thread gp_thread_t;

/* Starts fn(arg) as a new green thread. It runs when the caller next blocks or yields.
 * Returns 0 and stores the thread in *out; EAGAIN when out of memory; EPERM when called
 * from an OS thread that is not the scheduler's or with GREENPATCH_DISABLE=1. */
int gp_spawn(gp_thread_t **out, void *(*fn)(void *), void *arg);

/* Waits until t has finished and stores its result in *result (if not NULL). Each thread is
 * joined once. Returns 0, EDEADLK (t is the caller) or EINVAL (t is not joinable). */
int gp_join(gp_thread_t *t, void **result);

/* Lets every other runnable green thread run once, then returns. */
void gp_yield(void);

/* Sleeps for nsec nanoseconds while other green threads run. Returns 0. */
int gp_sleep(uint64_t nsec);

/* Runs fn(arg) on a real worker thread of the pool (GREENPATCH_POOL_SIZE threads at most,
 * started as needed) while the calling green thread waits and the others run: for a long
 * computation, or a call that blocks and cannot be made cooperative. Stores what fn returned
 * in *result (if not NULL) and returns 0. fn runs on another OS thread: it must not use the
 * calling thread's thread-local data, and the green threads' locks do not make it wait
 * cooperatively. Called by anything but a green thread, fn simply runs on the caller. */
int gp_offload(void *(*fn)(void *), void *arg, void **result);

/* The calling green thread, or NULL when the caller is not a green thread (no gp_spawn yet,
 * or an OS thread the scheduler does not run). */
gp_thread_t *gp_self(void);

#ifdef __cplusplus
}
#endif

#endif
