/* Intrusive doubly linked lists: a node lives inside the object that is on the list, so
 * putting a green thread on a queue never allocates. */
#ifndef GP_LIST_H
#define GP_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct gp_list {
    struct gp_list *next;
    struct gp_list *prev;
};

#define GP_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static inline void gp__list_init(struct gp_list *l) { l->next = l->prev = l; }
static inline bool gp__list_empty(const struct gp_list *l) { return l->next == l; }

static inline void gp__list_insert_before(struct gp_list *pos, struct gp_list *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}

static inline void gp__list_push_back(struct gp_list *l, struct gp_list *n) { gp__list_insert_before(l, n); }
static inline void gp__list_push_front(struct gp_list *l, struct gp_list *n) { gp__list_insert_before(l->next, n); }

/* Removes n and leaves it self-linked, so that removing it twice is harmless. */
static inline void gp__list_remove(struct gp_list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

static inline struct gp_list *gp__list_pop_front(struct gp_list *l)
{
    if (gp__list_empty(l))
        return NULL;
    struct gp_list *n = l->next;
    gp__list_remove(n);
    return n;
}

#endif
