/* See handles.h. A chained hash table keyed by id; the chain links live in the threads, so
 * that publishing a handle allocates nothing but, now and then, a larger bucket array. */
#include "handles.h"

#include <stdlib.h>

static struct {
    struct gp_thread **buckets; /* owned; chains through gp_thread.handle_next */
    size_t nbuckets;            /* a power of two, or 0 before the first handle */
    size_t count;
} table;

static struct gp_thread **bucket_of(uint64_t id)
{
    /* Ids are dense and increasing: the low bits spread them already. */
    return &table.buckets[id & (table.nbuckets - 1)];
}

static bool grow(void)
{
    size_t n = table.nbuckets ? table.nbuckets * 2 : 64;
    struct gp_thread **fresh = calloc(n, sizeof *fresh);
    if (!fresh)
        return false;
    struct gp_thread **old = table.buckets;
    size_t old_n = table.nbuckets;
    table.buckets = fresh;
    table.nbuckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (struct gp_thread *t = old[i], *next; t; t = next) {
            next = t->handle_next;
            struct gp_thread **b = bucket_of(t->id);
            t->handle_next = *b;
            *b = t;
        }
    }
    free(old);
    return true;
}

struct gp_thread *gp__handle_lookup(uint64_t id)
{
    if (id == 0 || table.nbuckets == 0)
        return NULL;
    for (struct gp_thread *t = *bucket_of(id); t; t = t->handle_next)
        if (t->id == id)
            return t;
    return NULL;
}

uint64_t gp__handle_publish(struct gp_thread *t)
{
    if (t->has_handle)
        return t->id;
    if (table.count >= table.nbuckets && !grow() && table.nbuckets == 0)
        return 0;
    struct gp_thread **b = bucket_of(t->id);
    t->handle_next = *b;
    *b = t;
    t->has_handle = true;
    table.count++;
    return t->id;
}

void gp__handle_forget(struct gp_thread *t)
{
    if (!t->has_handle)
        return;
    for (struct gp_thread **p = bucket_of(t->id); *p; p = &(*p)->handle_next) {
        if (*p == t) {
            *p = t->handle_next;
            break;
        }
    }
    t->has_handle = false;
    table.count--;
}

void gp__handle_after_fork(struct gp_thread *survivor)
{
    for (size_t i = 0; i < table.nbuckets; i++)
        table.buckets[i] = NULL;
    table.count = 0;
    if (survivor->has_handle) {
        survivor->has_handle = false;
        gp__handle_publish(survivor);
    }
}
