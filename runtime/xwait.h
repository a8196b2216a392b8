/* What the explicit API's queues, events and semaphores (greenpatch.h) share: an internal
 * lock, and waiting and waking that work across OS threads.
 *
 * Any thread may use these objects: the green threads of the scheduler, and OS threads the
 * scheduler does not run ("strangers": a gp_offload worker, a thread of a linked program
 * made by the real pthread_create, main before the first gp_spawn). Each object has
 *  - a real pthread mutex (gp__real, never the interposed names), held only for a few
 *    loads and stores, never across a park or a kernel wait: a green thread that finds it
 *    taken by a stranger blocks the scheduler's OS thread for that moment only;
 *  - lists of waiters, oldest first. A waiter is a struct gp_xwaiter on its own stack.
 *
 * HAND-OFF. A waker never just says "look again": under the lock it takes the oldest
 * waiter off its list, hands it what it waited for (an item, a semaphore's count, the
 * event's value, or EPIPE for a closed queue: w->done, w->result, w->value), and wakes it.
 * So waiters are served oldest first, a thread that comes along meanwhile cannot take what
 * was handed over, and a waiter that wakes for any other reason (its deadline, a
 * cancellation, a stray wake) only has to look at w->done under the lock: when it is set,
 * the call succeeded (its result stands even when the deadline passed or a cancellation
 * came meanwhile: that request stays pending for the next cancellation point, cancel.h).
 *
 * WAKING. A green waiter parks on the wait table (waitq.h) keyed on its own waiter record,
 * so that a wake reaches exactly the thread that was handed something. A waker on the
 * scheduler's OS thread wakes it there (gp__waitq_wake); a stranger posts an unpark to the
 * hub (gp__hub_post_unpark, with the node in the waiter record: no allocation, so the wake
 * cannot fail). A stranger waiter waits in the kernel on a condition variable of its own,
 * signalled under the lock by whoever hands it something, green or not.
 *
 * NO LOST WAKE-UPS. A green waiter queues itself under the lock, lets go of the lock and
 * parks without a switch in between, so no other green thread runs in that window. A
 * stranger may take the lock in that window and hand the waiter something: its unpark is
 * handled by the hub, which runs on the scheduler's OS thread only once the waiter has
 * parked (or has been woken otherwise and looks at w->done under the lock). An unpark the
 * waiter did not need (it woke for its deadline first) is answered by parking until the
 * hub has taken the node, so the node's memory outlives the post. A stranger waiter is
 * queued and waits under the same lock its waker takes, which the condition variable's
 * own protocol makes atomic. */
#ifndef GP_XWAIT_H
#define GP_XWAIT_H

#include "api.h"
#include "hub.h"
#include "list.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The part every object of the family starts with. */
struct gp_xobj {
    uint32_t magic;        /* the family's magic while the object lives; 0 once destroyed */
    unsigned waiting;      /* threads inside a wait on it (destroy then says EBUSY); lock */
    pthread_mutex_t lock;  /* a real mutex: held briefly, never across a wait */
};

/* One waiting thread, on its own stack. */
struct gp_xwaiter {
    struct gp_list link;       /* on one of the object's waiter lists until taken off */
    struct gp_thread *green;   /* the waiting green thread, or NULL for a stranger */
    pthread_cond_t cond;       /* a stranger waits on it, under the object's lock */
    struct gp_hub_unpark unpark; /* a stranger's wake of a green waiter */
    bool posted;               /* unpark was posted: the hub still has to take it */
    bool done;                 /* a waker took it off its list and handed it result, value */
    int result;                /* 0, or the positive errno the call returns (EPIPE) */
    void *value;               /* the item (both ways: a putter's, a getter's), the value */
};

/* Checks o (NULL, or not alive with magic: EINVAL) and the timeout (GP_FOREVER, 0, or
 * positive: else EINVAL), initialises the library, and takes o's lock. A green caller's
 * wait (timeout other than 0) is a cancellation point, acted on first. Returns 0 (locked)
 * or the error. */
int gp__xobj_enter(struct gp_xobj *o, uint32_t magic, int64_t timeout_ns);

/* Checks o for a call that never waits (EINVAL as above) and takes its lock. */
int gp__xobj_lock(struct gp_xobj *o, uint32_t magic);
void gp__xobj_unlock(struct gp_xobj *o);

/* The object's magic, read without the lock (for the calls that only look: len, ready,
 * value). */
bool gp__xobj_alive(const struct gp_xobj *o, uint32_t magic);

/* A new object's part: magic set, lock ready, nobody waiting. */
void gp__xobj_init(struct gp_xobj *o, uint32_t magic);

/* Destroy: EINVAL as gp__xobj_lock says, EBUSY when a thread waits on o; else o is dead
 * (magic cleared) and freed, with also (its other memory, or NULL), and 0. o must be what
 * the family's create allocated (the struct starts with it). */
int gp__xobj_destroy(struct gp_xobj *o, uint32_t magic, void *also);

/* Under o's lock, after the caller found it must wait: queues w (its value already set by a
 * putter) at the back of list and waits until a waker hands it something, timeout_ns
 * passes (bounded by the calling green thread's timeout scope) or the caller is cancelled
 * (then it is taken off first and the thread ends here). Returns, with the lock held again,
 * w->result once it was handed something, or ETIMEDOUT (no longer queued). */
int gp__xwait(struct gp_xobj *o, struct gp_list *list, struct gp_xwaiter *w,
              int64_t timeout_ns);

/* Under the lock: the oldest waiter of list, still queued, or NULL. */
struct gp_xwaiter *gp__xwaiter_first(struct gp_list *list);

/* Under the lock: takes w off its list, hands it result and value, and wakes it. */
void gp__xwake(struct gp_xwaiter *w, int result, void *value);

/* Under the lock: does it to every waiter of list, oldest first. */
void gp__xwake_all(struct gp_list *list, int result, void *value);

#endif
