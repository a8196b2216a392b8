/* A program with its own allocator, as programs linking jemalloc or tcmalloc have: malloc
 * and friends are defined here and take a pthread mutex. The shim's own start-up (dlsym,
 * dlopen of libev) and every thread creation then allocate through a lock that the shim
 * itself interposes, and may do so before the shim's constructor has run. Many threads
 * allocate, block and free; the checksums must match the native run. Then two threads hand
 * a token back and forth through a condition variable: switching, parking and waking must
 * not allocate at all (natively they do not either). */
#include "thread_prog.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

enum { ARENA_SIZE = 64 << 20, ALIGN = 16 };

static _Alignas(64) unsigned char arena[ARENA_SIZE];
static size_t arena_used;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long lock_count;

struct header {
    size_t size;
    size_t pad; /* keeps the payload 16-byte aligned */
};

/* A bump allocator: freeing is a no-op, enough for a short test. */
static void *bump(size_t size, size_t align)
{
    if (align < ALIGN)
        align = ALIGN;
    pthread_mutex_lock(&arena_lock);
    lock_count++;
    uintptr_t start = (uintptr_t)arena + arena_used + sizeof(struct header);
    start = (start + align - 1) & ~(uintptr_t)(align - 1);
    size_t end = start + size - (uintptr_t)arena;
    void *p = NULL;
    if (end <= ARENA_SIZE) {
        ((struct header *)start)[-1].size = size;
        arena_used = end;
        p = (void *)start;
    }
    pthread_mutex_unlock(&arena_lock);
    if (!p)
        errno = ENOMEM;
    return p;
}

void *malloc(size_t size) { return bump(size, ALIGN); }
void free(void *p) { (void)p; }

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = bump(n * size, ALIGN);
    return p ? memset(p, 0, n * size) : NULL; /* the arena may be reused memory: clear it */
}

void *realloc(void *old, size_t size)
{
    void *p = bump(size, ALIGN);
    if (p && old) {
        size_t old_size = ((struct header *)old)[-1].size;
        memcpy(p, old, old_size < size ? old_size : size);
    }
    return p;
}

void *memalign(size_t align, size_t size) { return bump(size, align); }
void *aligned_alloc(size_t align, size_t size) { return bump(size, align); }

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p = bump(size, align);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg, sum = 0;
    for (int i = 0; i < 50; i++) {
        size_t n = 16 + (seed * 7919u + (unsigned)i * 104729u) % 4000;
        unsigned char *block = malloc(n);
        for (size_t k = 0; k < n; k++)
            block[k] = (unsigned char)(seed + k);
        usleep(100); /* switch while other threads allocate */
        for (size_t k = 0; k < n; k++)
            sum += block[k];
        free(block);
    }
    return (void *)(uintptr_t)sum;
}

static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t token_moved = PTHREAD_COND_INITIALIZER;
static int token_holder; /* 0 or 1 */
static unsigned long allocations_in_steady_state;
enum { HANDOFFS = 10000, WARM_UP = 100 };

static unsigned long allocations_so_far(void)
{
    pthread_mutex_lock(&arena_lock);
    unsigned long n = lock_count;
    pthread_mutex_unlock(&arena_lock);
    return n;
}

static void *pass_token(void *arg)
{
    int me = (int)(uintptr_t)arg;
    unsigned long at_start = 0;
    pthread_mutex_lock(&token_lock);
    for (int i = 0; i < HANDOFFS; i++) {
        /* Thread 0 counts between its WARM_UP-th and its last handoffs, while the other
         * thread is inside its own loop. */
        if (me == 0 && i == WARM_UP)
            at_start = allocations_so_far();
        while (token_holder != me)
            pthread_cond_wait(&token_moved, &token_lock);
        token_holder = 1 - me;
        pthread_cond_signal(&token_moved);
    }
    if (me == 0)
        allocations_in_steady_state = allocations_so_far() - at_start;
    pthread_mutex_unlock(&token_lock);
    return NULL;
}

static void check_handoffs_do_not_allocate(void)
{
    pthread_t a = start_thread(NULL, pass_token, (void *)0);
    pthread_t b = start_thread(NULL, pass_token, (void *)1);
    join_or_die(a);
    join_or_die(b);
    printf("allocations during %d condition-variable handoffs: %lu\n", HANDOFFS - WARM_UP,
           allocations_in_steady_state);
}

int main(void)
{
    enum { THREADS = 100 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        t[i] = start_thread(NULL, worker, (void *)(uintptr_t)(i + 1));
    report_os_threads("workers-alive");
    unsigned long total = 0;
    for (int i = 0; i < THREADS; i++)
        total += (uintptr_t)join_or_die(t[i]);
    printf("checksum of every thread's blocks: %lu\n", total);
    printf("the allocator's mutex was taken: %s\n", yes_no(lock_count > 5000));
    check_handoffs_do_not_allocate();
    return 0;
}
