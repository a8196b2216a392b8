/* Fibers: the only part of libgreenpatch that knows boost.context. A fiber is a stack and
 * a saved fcontext; switching is one jump_fcontext. Stacks come from mmap with a guard
 * page below them and are cached for reuse. */
#ifndef GP_FIBER_H
#define GP_FIBER_H

#include <stdbool.h>
#include <stddef.h>

/* boost.context's C-linkage entry points (libboost_context, fcontext API). */
typedef void *gp_fcontext;
struct gp_transfer {
    gp_fcontext fctx; /* the context of the fiber that jumped here */
    void *data;       /* what it passed along: its struct gp_fiber */
};
struct gp_transfer jump_fcontext(gp_fcontext const to, void *vp);
gp_fcontext make_fcontext(void *sp, size_t size, void (*fn)(struct gp_transfer));

/* Released stacks are kept mapped for reuse, and reused most recent first. A trimmed stack
 * has given back to the kernel (MADV_DONTNEED) all but its top GP_FIBER_KEPT_BYTES, the
 * pages every thread touches as it starts, as glibc does with an exiting thread's stack (it
 * keeps the frames in use and PTHREAD_STACK_MIN below them: advise_stack_range): reused, it
 * costs a shallow thread no page fault. Trimming costs a system call per stack, so it waits
 * for a moment when nothing runs: while the program is busy (a burst of threads that start
 * and end), up to GP_FIBER_UNTRIMMED_STACKS released stacks keep their pages, the oldest
 * trimmed beyond that; when the hub is about to sleep, all but the GP_FIBER_HOT_STACKS most
 * recently released are trimmed (gp__fiber_stack_trim). */
enum {
    GP_FIBER_HOT_STACKS = 16,
    GP_FIBER_UNTRIMMED_STACKS = 128,
    GP_FIBER_KEPT_BYTES = 16 * 1024,
};

struct gp_stack {
    char *base;      /* lowest usable address (just above the guard) */
    size_t size;     /* usable bytes */
    size_t guard;    /* bytes of guard below base; 0 for none */
    char *map;       /* the mapping (base - guard), or NULL for a caller-supplied stack */
    size_t map_size; /* bytes mapped, guard included */
    unsigned vg_id;  /* valgrind's id for the registered stack */
};

struct gp_fiber {
    gp_fcontext ctx;       /* saved context while not running; owned by the switcher */
    struct gp_stack stack; /* owned; base == NULL for the OS thread's own stack */
    void *asan_fake_stack; /* ASan's bookkeeping across switches (NULL when not built with ASan) */
    bool started;          /* it has run: while not running, it waits inside
                            * gp__fiber_switch */
    bool probe;            /* a prober's stand-in (gp__fiber_probe), never a real fiber */
};

/* Allocates a stack of at least size usable bytes with a guard of guard bytes (rounded to
 * pages), reusing a cached one when the sizes match. Returns 0, -ENOMEM when no memory
 * can be mapped, or -EAGAIN when the guard cannot be installed. */
int gp__fiber_stack_alloc(struct gp_stack *s, size_t size, size_t guard);
/* Uses memory the program supplied (pthread_attr_setstack): no guard, never freed. */
void gp__fiber_stack_adopt(struct gp_stack *s, void *addr, size_t size);
/* Returns the stack to the cache (or to the kernel beyond the cache). */
void gp__fiber_stack_release(struct gp_stack *s);
/* Nothing is about to run: trims the cached stacks beyond the GP_FIBER_HOT_STACKS most
 * recently released. Cheap when there are none. */
void gp__fiber_stack_trim(void);

/* The top bytes of s (a multiple of 64) for the caller's own use, as glibc keeps a thread's
 * struct pthread at the top of its stack: in the page its first frames touch anyway, they
 * cost no memory of their own. Pass the same bytes to gp__fiber_prepare. */
void *gp__fiber_stack_top(struct gp_stack *s, size_t bytes);
/* Prepares f to start in entry(transfer) on its own stack at the first switch to it, below
 * the top reserved bytes of the stack (gp__fiber_stack_top). */
void gp__fiber_prepare(struct gp_fiber *f, void (*entry)(struct gp_transfer), size_t reserved);
/* Describes the stack of the calling OS thread for a fiber that adopts it (ASan needs the
 * bounds of every stack it switches to). */
void gp__fiber_adopt_current(struct gp_fiber *f);

/* Switches from the running fiber from to the fiber to. Returns when something switches
 * back to from; the return value is the fiber that did. */
struct gp_fiber *gp__fiber_switch(struct gp_fiber *from, struct gp_fiber *to);
/* Like gp__fiber_switch, for a fiber that will never run again. */
_Noreturn void gp__fiber_switch_final(struct gp_fiber *from, struct gp_fiber *to);
/* First thing a new fiber self's entry does with the transfer it received. */
struct gp_fiber *gp__fiber_started(struct gp_fiber *self, struct gp_transfer t);

/* Runs fn(arg) on the stack of target, a started fiber that is not running, and comes back
 * to self, the running fiber: target goes on waiting where it was, and nothing else of its
 * runs. For the thread dump (inspect.h): a backtrace taken by fn is target's. */
void gp__fiber_probe(struct gp_fiber *self, struct gp_fiber *target, void (*fn)(void *arg),
                     void *arg);

/* True when addr is in s's guard (or just below it): a fault there is a stack overflow. */
bool gp__fiber_stack_guard_hit(const struct gp_stack *s, const void *addr);

#endif
