/* Pools and piles of green threads (greenpatch.h): eventlet's GreenPool, which runs at
 * most its size of calls at once and makes a spawner wait for room, and GreenPile, which
 * gives its calls' results back in the order they were spawned.
 *
 * A call runs on a detached green thread that its pool or pile owns; the thread tells its
 * owners that it ended through the scheduler's exit hook, which runs however it ends
 * (return, pthread_exit, gp_kill or pthread_cancel), so that a killed call frees its room
 * and leaves GP_KILLED as its result. Every wait is on a wait queue keyed by the object and
 * rechecks its condition after each wake, and the objects count their waiters, so that
 * they are never freed under a thread that is about to look at them again. Only green
 * threads of the scheduler's OS thread use them: nothing here takes a lock.
 *
 * A fork child has only the thread that forked: the calls that ran in the parent's pools
 * are not there, and a pool or pile that had some stays busy in the child for good. */
#include "api.h"

#include "greenpatch.h"
#include "scheduler.h"
#include "timeout.h"
#include "waitq.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define POOL_MAGIC 0x67706f6cu /* "gpol" */
#define PILE_MAGIC 0x6770696cu /* "gpil" */

struct gp_pool {
    uint32_t magic;  /* POOL_MAGIC while it is a pool */
    size_t size;     /* the most calls that run at once */
    size_t running;  /* calls started and not ended, its piles' included */
    size_t waiters;  /* threads waiting for room or for the pool to empty */
    size_t piles;    /* piles made on it and not yet destroyed */
};

/* One call of a pile, from its spawn until its result is taken. Owned by the pile. */
struct pile_call {
    struct pile_call *next; /* the next younger call on the pile's list */
    struct gp_pile *pile;
    bool done;
    void *result;           /* once done */
};

struct gp_pile {
    uint32_t magic;           /* PILE_MAGIC while it is a pile */
    struct gp_pool *pool;     /* its calls run there, or NULL: no limit */
    struct pile_call *oldest; /* calls whose result is not taken yet, oldest first */
    struct pile_call **end;   /* &the youngest's next, or &oldest */
    size_t waiters;           /* threads waiting in gp_pile_next or for room in gp_pile_spawn */
};

static bool is_pool(const struct gp_pool *pool) { return pool && pool->magic == POOL_MAGIC; }
static bool is_pile(const struct gp_pile *pile) { return pile && pile->magic == PILE_MAGIC; }

static void call_ended(struct gp_pool *pool)
{
    pool->running--;
    gp__waitq_wake(pool, INT_MAX);
}

/* Exit hooks (scheduler.h) of a pool's call and of a pile's. */
static void pool_call_ended(struct gp_thread *t) { call_ended(t->exit_hook_arg); }

static void pile_call_ended(struct gp_thread *t)
{
    struct pile_call *c = t->exit_hook_arg;
    struct gp_pile *pile = c->pile;
    c->done = true;
    c->result = t->result;
    gp__waitq_wake(pile, INT_MAX);
    if (pile->pool)
        call_ended(pile->pool);
}

/* The pool whose call t runs, or NULL. */
static struct gp_pool *pool_of(const struct gp_thread *t)
{
    if (t->exit_hook == pool_call_ended)
        return t->exit_hook_arg;
    if (t->exit_hook == pile_call_ended)
        return ((struct pile_call *)t->exit_hook_arg)->pile->pool;
    return NULL;
}

/* Starts fn(arg) as a call of pool (or of no pool, when NULL), once there is room, with
 * hook(hook_arg) to run when it ends. While it waits for room it counts in *waiters: the
 * pool's, or the pile's for a pile's call (the pool outlives its piles), so that what it
 * will touch is not destroyed under it. Returns 0 or a negative errno. */
static int start_call(struct gp_pool *pool, size_t *waiters, void *(*fn)(void *), void *arg,
                      int64_t timeout_ns, void (*hook)(struct gp_thread *), void *hook_arg)
{
    if (!fn || !gp__api_timeout_ok(timeout_ns))
        return -EINVAL;
    if (!gp__api_may_manage())
        return -EPERM;
    int64_t deadline = gp__api_deadline(timeout_ns);
    while (pool && pool->running >= pool->size) {
        int r = gp__api_wait(pool, waiters, deadline);
        if (r < 0 && pool->running >= pool->size)
            return r;
    }
    struct gp_thread *t;
    int r = gp__api_spawn(&t, true, fn, arg);
    if (r < 0)
        return r;
    t->exit_hook = hook;
    t->exit_hook_arg = hook_arg;
    if (pool)
        pool->running++;
    return 0;
}

GP_PUBLIC int gp_pool_create(gp_pool_t **out, size_t size)
{
    if (!out || size == 0)
        return EINVAL;
    struct gp_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return ENOMEM;
    pool->magic = POOL_MAGIC;
    pool->size = size;
    *out = pool;
    return 0;
}

GP_PUBLIC int gp_pool_spawn(gp_pool_t *pool, void *(*fn)(void *), void *arg, int64_t timeout_ns)
{
    if (!is_pool(pool))
        return EINVAL;
    return -start_call(pool, &pool->waiters, fn, arg, timeout_ns, pool_call_ended, pool);
}

GP_PUBLIC int gp_pool_waitall(gp_pool_t *pool, int64_t timeout_ns)
{
    if (!is_pool(pool) || !gp__api_timeout_ok(timeout_ns))
        return EINVAL;
    if (!gp__api_may_manage())
        return EPERM;
    int64_t deadline = gp__api_deadline(timeout_ns);
    if (pool->running && pool_of(gp__current) == pool)
        return EDEADLK;
    while (pool->running) {
        int r = gp__api_wait(pool, &pool->waiters, deadline);
        if (r < 0 && pool->running)
            return -r;
    }
    return 0;
}

GP_PUBLIC size_t gp_pool_running(const gp_pool_t *pool) { return is_pool(pool) ? pool->running : 0; }

GP_PUBLIC size_t gp_pool_free(const gp_pool_t *pool)
{
    return is_pool(pool) && pool->running < pool->size ? pool->size - pool->running : 0;
}

GP_PUBLIC int gp_pool_destroy(gp_pool_t *pool)
{
    if (!is_pool(pool))
        return EINVAL;
    if (pool->running || pool->waiters || pool->piles)
        return EBUSY;
    pool->magic = 0;
    free(pool);
    return 0;
}

GP_PUBLIC int gp_pile_create(gp_pile_t **out, gp_pool_t *pool)
{
    if (!out || (pool && !is_pool(pool)))
        return EINVAL;
    struct gp_pile *pile = calloc(1, sizeof *pile);
    if (!pile)
        return ENOMEM;
    pile->magic = PILE_MAGIC;
    pile->pool = pool;
    pile->end = &pile->oldest;
    if (pool)
        pool->piles++;
    *out = pile;
    return 0;
}

GP_PUBLIC int gp_pile_spawn(gp_pile_t *pile, void *(*fn)(void *), void *arg, int64_t timeout_ns)
{
    if (!is_pile(pile))
        return EINVAL;
    struct pile_call *c = calloc(1, sizeof *c);
    if (!c)
        return EAGAIN;
    c->pile = pile;
    int r = start_call(pile->pool, &pile->waiters, fn, arg, timeout_ns, pile_call_ended, c);
    if (r < 0) {
        free(c);
        return -r;
    }
    *pile->end = c;
    pile->end = &c->next;
    return 0;
}

/* Takes the oldest call, done, off the pile: its result into *result. */
static void take_oldest(struct gp_pile *pile, void **result)
{
    struct pile_call *c = pile->oldest;
    pile->oldest = c->next;
    if (!pile->oldest)
        pile->end = &pile->oldest;
    if (result)
        *result = c->result;
    free(c);
}

GP_PUBLIC int gp_pile_next(gp_pile_t *pile, void **result, int64_t timeout_ns)
{
    if (!is_pile(pile) || !gp__api_timeout_ok(timeout_ns))
        return EINVAL;
    if (!gp__api_may_manage())
        return EPERM;
    int64_t deadline = gp__api_deadline(timeout_ns);
    /* Another thread may take the oldest result while this one waits: look afresh after
     * every wait. */
    for (int r = 0;;) {
        struct pile_call *c = pile->oldest;
        if (!c)
            return ENOENT;
        if (c->done) {
            take_oldest(pile, result);
            return 0;
        }
        if (r < 0)
            return -r;
        if (gp__current->exit_hook == pile_call_ended && gp__current->exit_hook_arg == c)
            return EDEADLK; /* the call waits for its own result */
        r = gp__api_wait(pile, &pile->waiters, deadline);
    }
}

GP_PUBLIC int gp_pile_destroy(gp_pile_t *pile)
{
    if (!is_pile(pile))
        return EINVAL;
    if (pile->waiters)
        return EBUSY;
    for (struct pile_call *c = pile->oldest; c; c = c->next)
        if (!c->done)
            return EBUSY; /* a call still runs: its result is not in yet */
    while (pile->oldest)
        take_oldest(pile, NULL);
    if (pile->pool)
        pile->pool->piles--;
    pile->magic = 0;
    free(pile);
    return 0;
}
