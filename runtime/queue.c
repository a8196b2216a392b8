/* Queues of the explicit API (greenpatch.h: gp_queue_*): eventlet.queue.Queue for C, with
 * close. A ring of pointers, fixed for a bounded queue, doubling for an unbounded one.
 *
 * Waiters are handed what they wait for (xwait.h): a put that finds a getter waiting gives
 * it the item (the queue is empty then), a get that makes room takes the oldest waiting
 * putter's item into the ring, so items keep their order and waiters are served oldest
 * first. Invariants, under the lock: getters wait only while the ring is empty and the
 * queue open; putters only while a bounded ring is full and the queue open. */
#include "greenpatch.h"

#include "xwait.h"

#include <errno.h>
#include <stdlib.h>

#define QUEUE_MAGIC 0x67707175u /* "gpqu" */

enum { UNBOUNDED_FIRST_SLOTS = 16 };

struct gp_queue {
    struct gp_xobj x;
    void **slots;          /* owned: the ring */
    size_t size;           /* slots allocated */
    size_t head;           /* index of the oldest item */
    size_t len;            /* items held; read without the lock by gp_queue_len */
    size_t capacity;       /* 0: unbounded */
    bool closed;
    struct gp_list getters; /* struct gp_xwaiter, oldest first */
    struct gp_list putters; /* the same; each holds its item in value */
};

GP_PUBLIC int gp_queue_create(gp_queue_t **out, size_t capacity)
{
    if (!out)
        return EINVAL;
    struct gp_queue *q = calloc(1, sizeof *q);
    size_t size = capacity ? capacity : UNBOUNDED_FIRST_SLOTS;
    void **slots = q && size <= SIZE_MAX / sizeof *slots ? malloc(size * sizeof *slots) : NULL;
    if (!slots) {
        free(q);
        return ENOMEM;
    }
    gp__xobj_init(&q->x, QUEUE_MAGIC);
    q->slots = slots;
    q->size = size;
    q->capacity = capacity;
    gp__list_init(&q->getters);
    gp__list_init(&q->putters);
    *out = q;
    return 0;
}

/* Doubles an unbounded ring, its items first in the new one. */
static bool grow(struct gp_queue *q)
{
    if (q->size > SIZE_MAX / 2 / sizeof *q->slots)
        return false;
    void **slots = malloc(2 * q->size * sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < q->len; i++)
        slots[i] = q->slots[(q->head + i) % q->size];
    free(q->slots);
    q->slots = slots;
    q->size *= 2;
    q->head = 0;
    return true;
}

static bool append(struct gp_queue *q, void *item)
{
    if (q->len == q->size && !grow(q))
        return false;
    q->slots[(q->head + q->len) % q->size] = item;
    __atomic_store_n(&q->len, q->len + 1, __ATOMIC_RELAXED);
    return true;
}

static void *take(struct gp_queue *q)
{
    void *item = q->slots[q->head];
    q->head = (q->head + 1) % q->size;
    __atomic_store_n(&q->len, q->len - 1, __ATOMIC_RELAXED);
    return item;
}

static int put_locked(struct gp_queue *q, void *item, int64_t timeout_ns)
{
    if (q->closed)
        return EPIPE;
    struct gp_xwaiter *getter = gp__xwaiter_first(&q->getters);
    if (getter) {
        gp__xwake(getter, 0, item);
        return 0;
    }
    if (!q->capacity || q->len < q->capacity)
        return append(q, item) ? 0 : EAGAIN;
    if (timeout_ns == 0)
        return EAGAIN;
    struct gp_xwaiter w = {.value = item};
    return gp__xwait(&q->x, &q->putters, &w, timeout_ns);
}

GP_PUBLIC int gp_queue_put(gp_queue_t *q, void *item, int64_t timeout_ns)
{
    int r = gp__xobj_enter(q ? &q->x : NULL, QUEUE_MAGIC, timeout_ns);
    if (r)
        return r;
    r = put_locked(q, item, timeout_ns);
    gp__xobj_unlock(&q->x);
    return gp__api_not_yet(r);
}

static int get_locked(struct gp_queue *q, void **item, int64_t timeout_ns)
{
    if (q->len) {
        *item = take(q);
        /* Room for the oldest waiting putter, whose item is now the newest. */
        struct gp_xwaiter *putter = gp__xwaiter_first(&q->putters);
        if (putter) {
            append(q, putter->value); /* cannot fail: the slot just freed */
            gp__xwake(putter, 0, NULL);
        }
        return 0;
    }
    if (q->closed)
        return EPIPE;
    if (timeout_ns == 0)
        return EAGAIN;
    struct gp_xwaiter w = {0};
    int r = gp__xwait(&q->x, &q->getters, &w, timeout_ns);
    if (r == 0)
        *item = w.value;
    return r;
}

GP_PUBLIC int gp_queue_get(gp_queue_t *q, void **item, int64_t timeout_ns)
{
    if (!item)
        return EINVAL;
    int r = gp__xobj_enter(q ? &q->x : NULL, QUEUE_MAGIC, timeout_ns);
    if (r)
        return r;
    r = get_locked(q, item, timeout_ns);
    gp__xobj_unlock(&q->x);
    return gp__api_not_yet(r);
}

GP_PUBLIC int gp_queue_close(gp_queue_t *q)
{
    int r = gp__xobj_lock(q ? &q->x : NULL, QUEUE_MAGIC);
    if (r)
        return r;
    if (q->closed) {
        r = EPIPE;
    } else {
        q->closed = true;
        /* Putters give up; getters wait only on an empty queue, so there is nothing left
         * for them either. */
        gp__xwake_all(&q->putters, EPIPE, NULL);
        gp__xwake_all(&q->getters, EPIPE, NULL);
    }
    gp__xobj_unlock(&q->x);
    return r;
}

GP_PUBLIC size_t gp_queue_len(const gp_queue_t *q)
{
    if (!gp__xobj_alive(q ? &q->x : NULL, QUEUE_MAGIC))
        return 0;
    return __atomic_load_n(&q->len, __ATOMIC_RELAXED);
}

GP_PUBLIC int gp_queue_destroy(gp_queue_t *q)
{
    return gp__xobj_destroy(q ? &q->x : NULL, QUEUE_MAGIC, q ? q->slots : NULL);
}
