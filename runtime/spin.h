/* Spinlocks for green threads. glibc's spinlock (a word that pthread_spin_trylock takes
 * with one atomic operation) spins without ever entering the kernel; a green thread that
 * spun would keep the holder, another green thread, from ever running. Instead it tries,
 * and between tries lets the other green threads run. */
#ifndef GP_SPIN_H
#define GP_SPIN_H

#include <pthread.h>

int gp__spin_lock(pthread_spinlock_t *lock);

#endif
