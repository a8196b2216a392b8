/* Thread-specific data: pthread_key_create and friends for green threads.
 *
 * Keys are glibc's: every key is made and deleted by glibc (so that key numbers, limits and
 * errors are the native ones, and OS threads the shim does not run keep using glibc's
 * functions), and the shim mirrors each key's sequence number and destructor in gp__keys.
 *
 * Where the values live:
 *  - the main thread's in glibc's own thread-specific data of the scheduler's OS thread,
 *    read and written with glibc's functions. Values main set before the first green
 *    thread existed stay where they are, and whatever reads main's keys through glibc's
 *    internals (a library bound to the old __pthread_getspecific) sees what main sees;
 *  - every other green thread's in its struct gp_thread: blocks of GP_TSD_BLOCK_SIZE
 *    slots, each slot the value and the key's sequence number when it was set, so that a
 *    value of a deleted key reads NULL (glibc's protocol, nptl/pthread_getspecific.c).
 *
 * One exception: the keys of a sanitizer runtime (ASan finds its state of the current OS
 * thread through a key) hold state of the OS thread, not of a thread of the program. They
 * stay glibc's for every green thread, and no green thread's exit runs their destructors.
 *
 * At a green thread's exit the destructors run as glibc runs them
 * (nptl/nptl_deallocate_tsd.c, glibc 2.36): in key order, only for non-NULL values of live
 * keys with a destructor, the slot cleared before the call, and again while destructors
 * set new values, at most PTHREAD_DESTRUCTOR_ITERATIONS rounds. */
#ifndef GP_TSD_H
#define GP_TSD_H

#include "scheduler.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

/* A key as the shim knows it. seq is odd while the key exists (glibc's convention); it
 * changes with every creation and deletion. Written by whichever OS thread makes or deletes
 * the key, read by the scheduler thread: atomic. */
struct gp_key {
    uintptr_t seq;
    void (*destructor)(void *);
    bool os_thread; /* a sanitizer runtime's key: glibc's values for every thread */
};
extern struct gp_key gp__keys[PTHREAD_KEYS_MAX];

struct gp_tsd_slot {
    uintptr_t seq; /* gp__keys[key].seq when value was stored */
    void *value;
};

/* True when t keeps its values of key in the shim (a green thread other than main, and not
 * a sanitizer runtime's key). */
static inline bool gp__tsd_own(const struct gp_thread *t, pthread_key_t key)
{
    return t && !t->is_main && !t->is_hub &&
           !(key < PTHREAD_KEYS_MAX && __atomic_load_n(&gp__keys[key].os_thread, __ATOMIC_RELAXED));
}

/* pthread_key_create and pthread_key_delete, from any OS thread; caller is the address the
 * program's call came from. Return 0 or a negative errno (glibc's). */
int gp__tsd_create(pthread_key_t *key, void (*destructor)(void *), const void *caller);
int gp__tsd_delete(pthread_key_t key);

/* t's slot for key (< PTHREAD_KEYS_MAX), or NULL while its block has none. */
static inline struct gp_tsd_slot *gp__tsd_slot(const struct gp_thread *t, pthread_key_t key)
{
    struct gp_tsd_slot *block = t->tsd[key / GP_TSD_BLOCK_SIZE];
    return block ? &block[key % GP_TSD_BLOCK_SIZE] : NULL;
}

/* pthread_getspecific for a thread t with gp__tsd_own(t, key). Called for every lookup that
 * allocators and loggers make: no lock, no call. */
static inline void *gp__tsd_get(struct gp_thread *t, pthread_key_t key)
{
    struct gp_tsd_slot *s = key < PTHREAD_KEYS_MAX ? gp__tsd_slot(t, key) : NULL;
    if (!s)
        return NULL;
    void *value = s->value;
    if (value && s->seq != __atomic_load_n(&gp__keys[key].seq, __ATOMIC_RELAXED))
        value = s->value = NULL; /* the key was deleted since */
    return value;
}

/* pthread_setspecific for t with gp__tsd_own(t, key). Returns 0, -EINVAL or -ENOMEM. */
int gp__tsd_set(struct gp_thread *t, pthread_key_t key, const void *value);

/* Runs the destructors of t's values as the thread exits (t is the caller) and frees its
 * slots. For main the values are glibc's. */
void gp__tsd_exit(struct gp_thread *t);

#endif
