/* Events of the explicit API (greenpatch.h: gp_event_*): eventlet.event.Event for C. One
 * send wakes every waiter, each handed the value (xwait.h), so that a reset right after the
 * send takes nothing from a waiter that has not run yet. */
#include "greenpatch.h"

#include "xwait.h"

#include <errno.h>
#include <stdlib.h>

#define EVENT_MAGIC 0x67706576u /* "gpev" */

struct gp_event {
    struct gp_xobj x;
    bool sent;              /* read without the lock by gp_event_ready */
    void *value;            /* what the send gave, while sent */
    struct gp_list waiters; /* struct gp_xwaiter, oldest first; only while not sent */
};

GP_PUBLIC int gp_event_create(gp_event_t **out)
{
    if (!out)
        return EINVAL;
    struct gp_event *e = calloc(1, sizeof *e);
    if (!e)
        return ENOMEM;
    gp__xobj_init(&e->x, EVENT_MAGIC);
    gp__list_init(&e->waiters);
    *out = e;
    return 0;
}

GP_PUBLIC int gp_event_send(gp_event_t *e, void *value)
{
    int r = gp__xobj_lock(e ? &e->x : NULL, EVENT_MAGIC);
    if (r)
        return r;
    if (e->sent) {
        r = EALREADY;
    } else {
        e->value = value;
        __atomic_store_n(&e->sent, true, __ATOMIC_RELAXED);
        gp__xwake_all(&e->waiters, 0, value);
    }
    gp__xobj_unlock(&e->x);
    return r;
}

GP_PUBLIC int gp_event_wait(gp_event_t *e, void **value, int64_t timeout_ns)
{
    int r = gp__xobj_enter(e ? &e->x : NULL, EVENT_MAGIC, timeout_ns);
    if (r)
        return r;
    struct gp_xwaiter w = {.value = e->value};
    if (!e->sent)
        r = timeout_ns == 0 ? EAGAIN : gp__xwait(&e->x, &e->waiters, &w, timeout_ns);
    gp__xobj_unlock(&e->x);
    if (r == 0 && value)
        *value = w.value;
    return gp__api_not_yet(r);
}

GP_PUBLIC bool gp_event_ready(const gp_event_t *e)
{
    return gp__xobj_alive(e ? &e->x : NULL, EVENT_MAGIC) &&
           __atomic_load_n(&e->sent, __ATOMIC_RELAXED);
}

GP_PUBLIC int gp_event_reset(gp_event_t *e)
{
    int r = gp__xobj_lock(e ? &e->x : NULL, EVENT_MAGIC);
    if (r)
        return r;
    if (!e->sent)
        r = EINVAL;
    __atomic_store_n(&e->sent, false, __ATOMIC_RELAXED);
    e->value = NULL;
    gp__xobj_unlock(&e->x);
    return r;
}

GP_PUBLIC int gp_event_destroy(gp_event_t *e)
{
    return gp__xobj_destroy(e ? &e->x : NULL, EVENT_MAGIC, NULL);
}
