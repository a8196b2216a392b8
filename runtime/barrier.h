/* Green barriers, built in the program's own pthread_barrier_t.
 *
 * The barrier keeps glibc's protocol (glibc 2.36, nptl/pthread_barrier_wait.c and
 * pthread_barrier_destroy.c): the words IN (threads that entered), CURRENT_ROUND (the
 * entries that completed rounds), COUNT, SHARED (0, or FUTEX_PRIVATE_FLAG for a
 * process-shared barrier) and OUT (threads that left), with a reset once IN nears
 * UINT_MAX / 2. The last thread to enter a round completes it and is the serial thread
 * (PTHREAD_BARRIER_SERIAL_THREAD), as natively. Where glibc waits on the futex of a word,
 * a green thread parks in the wait table keyed by the barrier; where glibc wakes a futex,
 * the green code wakes both the kernel's waiters and the green ones. */
#ifndef GP_BARRIER_H
#define GP_BARRIER_H

#include <pthread.h>

/* Returns PTHREAD_BARRIER_SERIAL_THREAD or 0. */
int gp__barrier_wait(pthread_barrier_t *b);
/* Waits until every thread of the last round has left, as glibc's destroy does. */
int gp__barrier_destroy(pthread_barrier_t *b);
/* After an OS thread the scheduler does not run has used the barrier with glibc's
 * functions: what it woke in the kernel, the green waiters need woken too. */
void gp__barrier_stranger_used(pthread_barrier_t *b);

#endif
