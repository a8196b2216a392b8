/* Semaphores of the explicit API (greenpatch.h: gp_sem_*): eventlet.semaphore.Semaphore
 * and BoundedSemaphore for C. A release with waiters hands the unit to the oldest of them
 * (xwait.h), so the count stays 0 while anyone waits and nobody barges in ahead of them. */
#include "greenpatch.h"

#include "xwait.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define SEM_MAGIC 0x67707365u /* "gpse" */

struct gp_sem {
    struct gp_xobj x;
    unsigned count;         /* read without the lock by gp_sem_value */
    unsigned limit;         /* 0: none (UINT_MAX) */
    struct gp_list waiters; /* struct gp_xwaiter, oldest first; only while count is 0 */
};

GP_PUBLIC int gp_sem_create(gp_sem_t **out, unsigned value, unsigned limit)
{
    if (!out || (limit && value > limit))
        return EINVAL;
    struct gp_sem *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    gp__xobj_init(&s->x, SEM_MAGIC);
    s->count = value;
    s->limit = limit ? limit : UINT_MAX;
    gp__list_init(&s->waiters);
    *out = s;
    return 0;
}

GP_PUBLIC int gp_sem_acquire(gp_sem_t *s, int64_t timeout_ns)
{
    int r = gp__xobj_enter(s ? &s->x : NULL, SEM_MAGIC, timeout_ns);
    if (r)
        return r;
    if (s->count) {
        __atomic_store_n(&s->count, s->count - 1, __ATOMIC_RELAXED);
    } else if (timeout_ns == 0) {
        r = EAGAIN;
    } else {
        struct gp_xwaiter w = {0};
        r = gp__xwait(&s->x, &s->waiters, &w, timeout_ns);
    }
    gp__xobj_unlock(&s->x);
    return gp__api_not_yet(r);
}

GP_PUBLIC int gp_sem_release(gp_sem_t *s)
{
    int r = gp__xobj_lock(s ? &s->x : NULL, SEM_MAGIC);
    if (r)
        return r;
    struct gp_xwaiter *w = gp__xwaiter_first(&s->waiters);
    if (w)
        gp__xwake(w, 0, NULL);
    else if (s->count >= s->limit)
        r = EOVERFLOW;
    else
        __atomic_store_n(&s->count, s->count + 1, __ATOMIC_RELAXED);
    gp__xobj_unlock(&s->x);
    return r;
}

GP_PUBLIC unsigned gp_sem_value(const gp_sem_t *s)
{
    if (!gp__xobj_alive(s ? &s->x : NULL, SEM_MAGIC))
        return 0;
    return __atomic_load_n(&s->count, __ATOMIC_RELAXED);
}

GP_PUBLIC int gp_sem_destroy(gp_sem_t *s)
{
    return gp__xobj_destroy(s ? &s->x : NULL, SEM_MAGIC, NULL);
}
