/* Handles of the explicit API (greenpatch.h): a gp_thread_t is a thread's id, which is never
 * reused, and this table finds the thread behind it. A pointer could outlive its thread (a
 * joined thread's stack is reused by the next one), so that joining twice would join a
 * stranger; an id that is no longer in the table is an error the caller gets back.
 *
 * A thread enters the table when the API first hands out its id (gp_spawn, or gp_self in a
 * thread made by pthread_create or in main), and leaves it when its struct goes (joined, or
 * ended detached). Only the scheduler's OS thread uses the table. */
#ifndef GP_HANDLES_H
#define GP_HANDLES_H

#include "scheduler.h"

#include <stdint.h>

/* The thread whose handle is id, or NULL when there is none (never was, or it is gone). */
struct gp_thread *gp__handle_lookup(uint64_t id);
/* t's id, entering t in the table if it is not there yet. Never fails. */
uint64_t gp__handle_publish(struct gp_thread *t);
/* Takes t out of the table (its struct is about to go). */
void gp__handle_forget(struct gp_thread *t);
/* In a fork child: the other threads are gone; only survivor stays. */
void gp__handle_after_fork(struct gp_thread *survivor);

#endif
