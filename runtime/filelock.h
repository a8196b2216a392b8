/* Green locks on stdio streams.
 *
 * glibc's FILE lock (_IO_lock_t) is recursive per OS thread, and every green thread runs on
 * the one OS thread: to glibc they are all the same thread, so its lock keeps none of them
 * out. Natively a thread inside fgets or fprintf keeps the others out of that FILE until it
 * returns, and flockfile keeps them out until funlockfile. Under the shim a green thread
 * can wait inside a stdio call (for data, for room in a socket), so each such call, and
 * each flockfile, also holds a green lock on the FILE: the other green threads wait for it
 * in turn, first come first served. Only green threads use these locks; the caller keeps
 * taking glibc's own lock for the OS threads the scheduler does not run.
 *
 * The locks live in a small table keyed by the FILE's address, so FILEs need no extra
 * state and a program that never waits inside stdio never has an entry. */
#ifndef GP_FILELOCK_H
#define GP_FILELOCK_H

#include <stdbool.h>
#include <stdio.h>

/* Takes fp's green lock for the calling green thread, parking while another green thread
 * holds it; recursive. */
void gp__filelock_acquire(FILE *fp);
/* Takes it only if no other green thread holds it; returns whether it did. */
bool gp__filelock_try(FILE *fp);
/* Gives back one level of the caller's hold; the last one hands fp to the longest waiter.
 * A call that does not hold fp (its flockfile came before the first green thread) is a
 * no-op. */
void gp__filelock_release(FILE *fp);
/* True when a green thread other than the caller holds fp: a call that would not wait
 * must still wait its turn. Cheap while no FILE is held at all. */
bool gp__filelock_held_by_other(const FILE *fp);
/* In a fork child: the holders and waiters were other threads (and glibc resets the FILE
 * locks of a multithreaded parent's child too). */
void gp__filelock_after_fork(void);

#endif
