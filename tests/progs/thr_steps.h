/* A step counter for the thr_* helper programs: one thread moves the program to step n,
 * others wait until it gets there, so that what the threads print comes in one order,
 * natively and under the shim. Plain pthreads. */
#ifndef THR_STEPS_H
#define THR_STEPS_H

#include <pthread.h>

static pthread_mutex_t step_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t step_cond = PTHREAD_COND_INITIALIZER;
static int step;

static inline void wait_step(int n)
{
    pthread_mutex_lock(&step_lock);
    while (step < n)
        pthread_cond_wait(&step_cond, &step_lock);
    pthread_mutex_unlock(&step_lock);
}

static inline void set_step(int n)
{
    pthread_mutex_lock(&step_lock);
    step = n;
    pthread_cond_broadcast(&step_cond);
    pthread_mutex_unlock(&step_lock);
}

/* Moves the program one step on. */
static inline void next_step(void)
{
    pthread_mutex_lock(&step_lock);
    step++;
    pthread_cond_broadcast(&step_cond);
    pthread_mutex_unlock(&step_lock);
}

#endif
