/* See fiber.h.
 *
 * Guard pages: Linux 6.13 added MADV_GUARD_INSTALL, which makes a range fault on access
 * without splitting the mapping. With mprotect every guarded stack costs two memory maps,
 * and vm.max_map_count (65530 by default) then caps a process at about 32k green threads.
 * We probe for the madvise once and fall back to mprotect on older kernels.
 *
 * Transparent huge pages: with THP "always", the kernel may back a touched stack page with
 * a 2 MiB huge page; ten thousand mostly idle stacks would then cost gigabytes. Stacks are
 * then marked MADV_NOHUGEPAGE, a whole chunk of them at once (guards included): the mapping
 * keeps one set of flags, so that consecutive chunks merge into one memory map. With THP
 * "madvise" or "never" a mapping nobody marked gets no huge pages, and the madvise is
 * skipped: it cost a system call and a split of the memory map per stack. */
#include "fiber.h"

#include "list.h"
#include "real.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define GP_ASAN 1
#else
#define GP_ASAN 0
#endif

/* Mapped stacks kept for reuse beyond the hot ones (see GP_FIBER_HOT_STACKS). */
enum { CACHED_STACKS = 1024 };

struct cached_stack {
    struct gp_list link; /* on stack_cache.hot or .cold; lives at the top of the cached stack */
    struct gp_stack stack;
};

/* Cached stacks are released hot (with their pages) and turn cold when trimmed, oldest
 * first: every hot one is more recent than every cold one. */
static struct {
    struct gp_list hot;  /* struct cached_stack, untrimmed, most recently released first */
    struct gp_list cold; /* trimmed: pages below the top GP_FIBER_KEPT_BYTES given back;
                          * most recently trimmed first */
    size_t count;        /* on both lists */
    size_t hot_count;
    int guard_mode; /* 0: not probed, 1: MADV_GUARD_INSTALL, 2: mprotect */
    int thp_always; /* -1: not read yet; 1: THP "always" (stacks need MADV_NOHUGEPAGE) */
} stack_cache = {.hot = {&stack_cache.hot, &stack_cache.hot},
               .cold = {&stack_cache.cold, &stack_cache.cold},
               .thp_always = -1};

static size_t page_size(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

static size_t round_to_pages(size_t n)
{
    size_t ps = page_size();
    return (n + ps - 1) / ps * ps;
}

static int install_guard(char *addr, size_t len)
{
    if (len == 0)
        return 0;
    if (stack_cache.guard_mode != 2) {
        if (madvise(addr, len, MADV_GUARD_INSTALL) == 0) {
            stack_cache.guard_mode = 1;
            return 0;
        }
        if (errno != EINVAL)
            return -errno;
        stack_cache.guard_mode = 2;
    }
    return mprotect(addr, len, PROT_NONE) == 0 ? 0 : -errno;
}

/* Whether the kernel gives huge pages to any anonymous mapping: the file says
 * "[always] madvise never" then. Unreadable (no THP in the kernel, no /sys): no. */
static bool thp_always(void)
{
    if (stack_cache.thp_always < 0) {
        char buf[64] = "";
        int fd = gp__real.open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = gp__real.read(fd, buf, sizeof buf - 1);
            buf[n > 0 ? n : 0] = '\0';
            gp__real.close(fd);
        }
        stack_cache.thp_always = strstr(buf, "[always]") != NULL;
    }
    return stack_cache.thp_always;
}

static void register_with_valgrind(struct gp_stack *s)
{
    s->vg_id = VALGRIND_STACK_REGISTER(s->base, s->base + s->size);
}

/* Takes the first stack of list of that size and guard into *s. */
static bool take_from(struct gp_list *list, struct gp_stack *s, size_t size, size_t guard)
{
    for (struct gp_list *n = list->next; n != list; n = n->next) {
        struct cached_stack *c = GP_CONTAINER_OF(n, struct cached_stack, link);
        if (c->stack.size == size && c->stack.guard == guard) {
            *s = c->stack;
            gp__list_remove(n);
            stack_cache.count--;
            return true;
        }
    }
    return false;
}

/* The most recently released stack that fits, a hot one first. */
static bool take_cached(struct gp_stack *s, size_t size, size_t guard)
{
    if (take_from(&stack_cache.hot, s, size, guard)) {
        stack_cache.hot_count--;
        return true;
    }
    return take_from(&stack_cache.cold, s, size, guard);
}

/* Fresh stacks are cut from chunks mapped several at a time, as many as have been mapped
 * since the last chunk of another size, up to MAX_CHUNK_STACKS: one mmap for a burst of
 * threads rather than one per thread (the chunk's address range costs no memory until it
 * is touched, and each stack is unmapped alone). Where a chunk cannot be mapped (an address
 * space limit), a stack is mapped alone. */
enum { MAX_CHUNK_STACKS = 32 };
static struct {
    char *next;      /* the next fresh stack's mapping */
    size_t left;     /* how many fresh stacks the chunk still has */
    size_t map_size; /* of each */
    size_t run;      /* stacks of that size mapped in a row */
} chunk;

static char *map_fresh(size_t map_size)
{
    if (chunk.map_size != map_size) {
        if (chunk.left) /* the other size's stacks never handed out */
            munmap(chunk.next, chunk.left * chunk.map_size);
        chunk = (__typeof__(chunk)){.map_size = map_size};
    }
    if (chunk.left == 0) {
        size_t n = chunk.run < 1 ? 1 : chunk.run < MAX_CHUNK_STACKS ? chunk.run : MAX_CHUNK_STACKS;
        for (;; n = 1) {
            char *map = mmap(NULL, n * map_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
            if (map != MAP_FAILED) {
                if (thp_always())
                    (void)madvise(map, n * map_size, MADV_NOHUGEPAGE);
                chunk.next = map;
                chunk.left = n;
                break;
            }
            if (n == 1)
                return NULL;
        }
    }
    char *map = chunk.next;
    chunk.next += map_size;
    chunk.left--;
    chunk.run++;
    return map;
}

int gp__fiber_stack_alloc(struct gp_stack *s, size_t size, size_t guard)
{
    size = round_to_pages(size);
    guard = round_to_pages(guard);
    if (take_cached(s, size, guard)) {
        register_with_valgrind(s);
        return 0;
    }
    size_t map_size = size + guard;
    char *map = map_fresh(map_size);
    if (!map)
        return -ENOMEM;
    int r = install_guard(map, guard);
    if (r < 0) {
        munmap(map, map_size);
        return r == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    *s = (struct gp_stack){.base = map + guard, .size = size, .guard = guard, .map = map,
                           .map_size = map_size};
    register_with_valgrind(s);
    return 0;
}

void gp__fiber_stack_adopt(struct gp_stack *s, void *addr, size_t size)
{
    *s = (struct gp_stack){.base = addr, .size = size};
    register_with_valgrind(s);
}

/* Trims the oldest hot stacks until no more than keep are left hot. */
static void trim_to(size_t keep)
{
    for (; stack_cache.hot_count > keep; stack_cache.hot_count--) {
        struct gp_list *n = stack_cache.hot.prev;
        struct cached_stack *c = GP_CONTAINER_OF(n, struct cached_stack, link);
        if (c->stack.size > GP_FIBER_KEPT_BYTES)
            (void)madvise(c->stack.base, c->stack.size - GP_FIBER_KEPT_BYTES, MADV_DONTNEED);
        gp__list_remove(n);
        gp__list_push_front(&stack_cache.cold, n);
    }
}

void gp__fiber_stack_release(struct gp_stack *s)
{
    if (!s->base)
        return;
    VALGRIND_STACK_DEREGISTER(s->vg_id);
    if (!s->map) {
        s->base = NULL;
        return;
    }
    if (stack_cache.count >= CACHED_STACKS) {
        munmap(s->map, s->map_size);
        s->base = NULL;
        return;
    }
    /* The cache entry lives in the cached stack's own top bytes: caching allocates nothing. */
    struct cached_stack *c = (struct cached_stack *)(s->base + s->size) - 1;
    c->stack = *s;
    gp__list_push_front(&stack_cache.hot, &c->link);
    stack_cache.count++;
    stack_cache.hot_count++;
    s->base = NULL;
    if (stack_cache.hot_count > GP_FIBER_UNTRIMMED_STACKS)
        trim_to(GP_FIBER_UNTRIMMED_STACKS);
}

void gp__fiber_stack_trim(void)
{
    trim_to(GP_FIBER_HOT_STACKS);
}

bool gp__fiber_stack_guard_hit(const struct gp_stack *s, const void *addr)
{
    const char *a = addr;
    /* A frame that overshoots the guard entirely still lands just below it. */
    size_t slack = 64 * 1024;
    return s->base && s->map && a < s->base && a + slack >= s->map;
}

void *gp__fiber_stack_top(struct gp_stack *s, size_t bytes)
{
    assert(bytes % 64 == 0 && bytes < s->size);
    char *top = s->base + s->size - bytes;
#if GP_ASAN
    /* A reused stack keeps the poisoned redzones of the frames of the thread that ran on it
     * before. */
    __asan_unpoison_memory_region(top, bytes);
#endif
    return top;
}

void gp__fiber_prepare(struct gp_fiber *f, void (*entry)(struct gp_transfer), size_t reserved)
{
    f->ctx = make_fcontext(f->stack.base + f->stack.size - reserved, f->stack.size - reserved,
                           entry);
    f->asan_fake_stack = NULL;
    f->started = false;
}

void gp__fiber_adopt_current(struct gp_fiber *f)
{
    *f = (struct gp_fiber){.started = true};
#if GP_ASAN
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (gp__real.pthread_getattr_np(gp__real.pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            f->stack.base = addr;
            f->stack.size = size;
        }
        pthread_attr_destroy(&attr);
    }
#endif
}

#if GP_ASAN
static void asan_before(struct gp_fiber *from, struct gp_fiber *to, bool final)
{
    __sanitizer_start_switch_fiber(final ? NULL : &from->asan_fake_stack, to->stack.base,
                                   to->stack.size);
}
static void asan_after(struct gp_fiber *self)
{
    __sanitizer_finish_switch_fiber(self->asan_fake_stack, NULL, NULL);
}
#else
static void asan_before(struct gp_fiber *from, struct gp_fiber *to, bool final)
{
    (void)from, (void)to, (void)final;
}
static void asan_after(struct gp_fiber *self) { (void)self; }
#endif

/* jump_fcontext, entered by a jump rather than a call. boost.context's jump_fcontext (1.74)
 * leaves by `jmp` to the resumed fiber's saved return address, not by `ret`: a call into it
 * pushes an entry onto the CPU's return stack buffer that no `ret` pops, and every return
 * after a switch is then mispredicted (measured here: 28 ns per switch through the
 * scheduler, against 5.5 for the bare jump). Pushing the return address ourselves keeps
 * the buffer balanced; every fiber suspends at this same spot, so the returns that follow
 * a switch go where they went before it. The red zone is stepped over, as a call would.
 * Clobbers what a call clobbers (jump_fcontext keeps the callee-saved registers and the
 * x87/SSE control words, System V ABI). */
static inline __attribute__((always_inline)) struct gp_transfer jump(gp_fcontext to,
                                                                     void *data)
{
#if defined(__x86_64__)
    register void *fctx __asm__("rax");
    register void *passed __asm__("rdx");
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "push %%rax\n\t"
                     "jmp jump_fcontext\n"
                     "1:\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : "=r"(fctx), "=r"(passed), "+D"(to), "+S"(data)
                     :
                     : "rcx", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",
                       "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                       "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
    return (struct gp_transfer){.fctx = fctx, .data = passed};
#else
    return jump_fcontext(to, data);
#endif
}

/* A probe's stand-in for the prober: where the probed fiber jumps back to. */
struct probe {
    struct gp_fiber prober; /* first: the probed fiber sees a struct gp_fiber */
    void (*fn)(void *arg);
    void *arg;
};

struct gp_fiber *gp__fiber_switch(struct gp_fiber *from, struct gp_fiber *to)
{
    asan_before(from, to, false);
    struct gp_transfer t = jump(to->ctx, from);
    for (;;) {
        struct gp_fiber *prev = t.data;
        prev->ctx = t.fctx;
        asan_after(from);
        if (__builtin_expect(!prev->probe, 1))
            return prev;
        /* Probed: run the probe here, on this stack, and wait again. */
        struct probe *p = (struct probe *)prev;
        p->fn(p->arg);
        asan_before(from, prev, false);
        t = jump(prev->ctx, from);
    }
}

void gp__fiber_probe(struct gp_fiber *self, struct gp_fiber *target, void (*fn)(void *arg),
                     void *arg)
{
    struct probe p = {.prober = {.stack = self->stack, .started = true, .probe = true},
                      .fn = fn,
                      .arg = arg};
    asan_before(&p.prober, target, false);
    struct gp_transfer t = jump(target->ctx, &p.prober);
    struct gp_fiber *back = t.data;
    back->ctx = t.fctx;
    asan_after(&p.prober);
}

void gp__fiber_switch_final(struct gp_fiber *from, struct gp_fiber *to)
{
    asan_before(from, to, true);
    jump_fcontext(to->ctx, from);
    __builtin_unreachable();
}

struct gp_fiber *gp__fiber_started(struct gp_fiber *self, struct gp_transfer t)
{
    self->started = true;
    struct gp_fiber *prev = t.data;
    prev->ctx = t.fctx;
#if GP_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    return prev;
}
