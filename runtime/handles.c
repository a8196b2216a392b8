/* See handles.h. A chained hash table keyed by id; the chain links live in the threads, so
 * that publishing a handle allocates nothing but, now and then, a larger bucket array. */
#include "handles.h"

#include <stdlib.h>

enum { FIRST_BUCKETS = 64 };

/* The first buckets need no allocation, so that publishing a handle never fails. */
static struct gp_thread *first_buckets[FIRST_BUCKETS];

static struct {
    struct gp_thread **buckets; /* first_buckets or owned; chains through handle_next */
    size_t nbuckets;            /* a power of two */
    size_t count;
} table = {first_buckets, FIRST_BUCKETS, 0};

static struct gp_thread **bucket_of(uint64_t id)
{
    /* Ids are dense and increasing: the low bits spread them already. */
    return &table.buckets[id & (table.nbuckets - 1)];
}

/* Doubles the buckets; without memory the chains just grow longer. */
static void grow(void)
{
    size_t n = table.nbuckets * 2;
    struct gp_thread **fresh = calloc(n, sizeof *fresh);
    if (!fresh)
        return;
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
    if (old != first_buckets)
        free(old);
}

struct gp_thread *gp__handle_lookup(uint64_t id)
{
    if (id == 0)
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
    if (table.count >= table.nbuckets)
        grow();
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
    t->has_handle = false;
    /* Not found: a thread of the parent in a fork child, whose table started afresh. */
    for (struct gp_thread **p = bucket_of(t->id); *p; p = &(*p)->handle_next) {
        if (*p == t) {
            *p = t->handle_next;
            table.count--;
            return;
        }
    }
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
