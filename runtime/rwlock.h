/* Green read-write locks, built in the program's own pthread_rwlock_t.
 *
 * glibc's rwlock (glibc 2.36, nptl/pthread_rwlock_common.c) keeps its state in words that
 * its own try-locks and unlock update without ever blocking; only its blocking lock
 * functions sleep in the kernel. A green thread takes the lock with glibc's try-lock and,
 * while the lock is taken, parks in the wait table (waitq.h) keyed by the rwlock's
 * address; every unlock wakes the parked ones to try again. An OS thread the scheduler does
 * not run keeps using glibc's functions on the same words. A green writer that waits for a
 * lock preferring writers (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) holds back green
 * readers, as glibc's waiting writers do.
 *
 * Only the writer's identity needs care. glibc records the writer's TID in __cur_writer:
 * its lock functions fail with EDEADLK when it is the caller's, and its unlock releases a
 * write lock when it is the caller's and a read lock otherwise. All green threads share
 * one TID, so a green writer records its lock id there instead (struct gp_thread.lock_id:
 * the TID for main, above any TID for the others), and puts the TID back just before
 * glibc's unlock. Strangers' TIDs never equal a green lock id, so they see the same answers
 * as natively. */
#ifndef GP_RWLOCK_H
#define GP_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Locks l for reading or writing for the calling green thread; deadline as in clock.h, 0
 * for a try-lock. Returns 0, -EBUSY, -ETIMEDOUT, -EDEADLK or -EAGAIN as glibc would. */
int gp__rwlock_lock(pthread_rwlock_t *l, bool write, int64_t deadline);
/* Unlocks what the calling green thread holds of l and wakes the green waiters. */
int gp__rwlock_unlock(pthread_rwlock_t *l);

/* Called before an OS thread the scheduler does not run locks an rwlock with glibc's
 * functions, once green threads exist. From then on green waiters also look again now and
 * then: a stranger's changes other than unlocks (a writer giving up on a timeout) wake
 * nobody green. */
void gp__rwlock_note_stranger(void);
/* A stranger's unlock: glibc's, then the green waiters are woken through the hub. */
int gp__rwlock_unlock_from_stranger(pthread_rwlock_t *l);

#endif
