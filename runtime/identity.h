/* What a pthread_t says about its thread: its name and its attributes, for green threads.
 *
 * glibc's functions that take a pthread_t read the struct pthread behind it, which a green
 * thread's handle (its struct gp_thread) is not: these answer for green threads other than
 * main. The main thread keeps glibc's handle, and glibc answers for it.
 *
 * Names: the kernel keeps one name per OS thread (what ps and top show), and all green
 * threads share one OS thread, which is main's. So main's name is the kernel's, and every
 * other green thread keeps its own in struct gp_thread. As natively, a new thread starts
 * with the name of the thread that created it (the kernel copies it at clone); main's is
 * read from the kernel once, at the first pthread_create, and kept up to date by
 * pthread_setname_np (a prctl(PR_SET_NAME) of the program's own is not seen). */
#ifndef GP_IDENTITY_H
#define GP_IDENTITY_H

#include "scheduler.h"

#include <pthread.h>
#include <stddef.h>

/* The kernel's limit, with the terminating NUL (TASK_COMM_LEN). */
enum { GP_NAME_SIZE = 16 };

/* pthread_setname_np for t. For main, sets the OS thread's name too. Returns 0 or a
 * negative errno (-ERANGE for a name of GP_NAME_SIZE bytes or more, as glibc). */
int gp__identity_set_name(struct gp_thread *t, const char *name);
/* pthread_getname_np for a green thread other than main: -ERANGE when len is less than
 * GP_NAME_SIZE, as glibc, whatever the name's length. */
int gp__identity_get_name(const struct gp_thread *t, char *buf, size_t len);
/* At spawn: t starts with its creator's name. */
void gp__identity_inherit(struct gp_thread *t, const struct gp_thread *creator);
/* The scheduler adopts the OS thread as main: main's name is the kernel's. */
void gp__identity_adopt_main(struct gp_thread *main);

/* pthread_getattr_np for a green thread other than main: its stack, guard and detach state,
 * and, as for every green thread, the scheduling and affinity of the OS thread they share.
 * attr is uninitialised on entry (pthread_getattr_np's contract). Returns 0 or a negative
 * errno. */
int gp__identity_attr(const struct gp_thread *t, pthread_attr_t *attr);

#endif
