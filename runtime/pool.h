/* The worker pool: real OS threads for work that cannot be made cooperative (name
 * resolution, regular files on a slow disk, file locks, a CPU-heavy function handed over by
 * gp_offload). The calling green thread parks while a worker runs the job; the other green
 * threads go on; the worker's completion wakes the caller through the hub.
 *
 * Workers are started lazily, one when a job finds no idle worker, up to
 * GREENPATCH_POOL_SIZE (config.h); a job that finds them all busy waits in line. Waits for
 * another party (gp__pool_wait) neither count against that limit nor wait in line. Workers
 * are OS threads the scheduler does not run ("strangers"), so whatever a job calls goes
 * straight to libc; they block every signal, so that the program's signals keep reaching
 * the green threads. They are named GP_POOL_THREAD_NAME (what ps -L and
 * /proc/PID/task/TID/comm show). A fork child starts with an empty pool of its own. */
#ifndef GP_POOL_H
#define GP_POOL_H

#define GP_POOL_THREAD_NAME "greenpatch-pool"

/* Starts fn(arg) on a detached real OS thread that blocks every signal from its first
 * instruction (the attribute sets the mask): the program's signals never go to it. The pool's
 * workers and the blocking detector's watchdog are such threads. Returns 0 or an error
 * number. */
int gp__pool_os_thread(void *(*fn)(void *), void *arg);

/* Runs fn(arg) on a worker and returns what it returned (by convention >= 0 or a negative
 * errno: a job never touches the caller's errno, it is another thread's). The caller waits
 * without being interruptible: a signal for it is handled after the job. When the caller
 * is not a green thread, or is the only one, fn runs inline: nothing else could run
 * meanwhile, and the round trip would only cost time. */
long gp__pool_call(long (*fn)(void *arg), void *arg);

/* The same for a call that waits for another party (a file lock another process holds, a
 * System V message or semaphore): such a wait may last as long as the program likes, so it
 * never waits in line for a worker; a worker is started beyond GREENPATCH_POOL_SIZE when
 * none is free. Natively each of those waiting threads is an OS thread too, so this costs
 * no more threads than the program would have without the shim. */
long gp__pool_wait(long (*fn)(void *arg), void *arg);

/* The same for gp_offload, whose caller asked for another thread: a green caller's job goes
 * to a worker even when no other green thread exists. Only a caller that is not a green
 * thread runs fn inline. */
long gp__pool_offload(long (*fn)(void *arg), void *arg);

#endif
