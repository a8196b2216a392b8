/* pthread_once for green threads.
 *
 * glibc's once word (glibc 2.36, nptl/pthread_once.c) is 0 at first, __PTHREAD_ONCE_DONE
 * (2) once the routine has returned, and while a thread runs the routine
 * __PTHREAD_ONCE_INPROGRESS (1) with glibc's fork generation in the bits above (a fork
 * child's glibc advances it, so that a routine that a fork cut short runs again in the
 * child). glibc's own pthread_once runs the routine: the routine may block cooperatively,
 * letting other green threads run. A green thread that finds the routine running in
 * another thread waits green instead of in the kernel, and looks again when the routine's
 * green runner returns, and now and then in case the runner is an OS thread the scheduler
 * does not run, or the routine was left by an exception (glibc then resets the word). */
#ifndef GP_ONCE_H
#define GP_ONCE_H

#include <pthread.h>

int gp__once(pthread_once_t *control, void (*init)(void));

#endif
