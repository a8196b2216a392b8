/* See tsd.h. */
#include "tsd.h"

#include "real.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gp_key gp__keys[PTHREAD_KEYS_MAX];

/* One more than the highest key ever made: the destructor rounds look no further. */
static unsigned keys_made;

/* Whether code at addr belongs to a sanitizer runtime (libasan.so, libtsan.so, ...). */
static bool in_sanitizer(const void *addr)
{
    static const char *const runtimes[] = {"libasan.", "libtsan.", "liblsan.", "libubsan.",
                                           "libhwasan.", "libclang_rt."};
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname)
        return false;
    const char *name = strrchr(info.dli_fname, '/');
    name = name ? name + 1 : info.dli_fname;
    for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++)
        if (strncmp(name, runtimes[i], strlen(runtimes[i])) == 0)
            return true;
    return false;
}

int gp__tsd_create(pthread_key_t *key, void (*destructor)(void *), const void *caller)
{
    int r = gp__real.pthread_key_create(key, destructor);
    if (r != 0)
        return -r;
    struct gp_key *k = &gp__keys[*key];
    __atomic_store_n(&k->destructor, destructor, __ATOMIC_RELAXED);
    __atomic_store_n(&k->os_thread, in_sanitizer(caller), __ATOMIC_RELAXED);
    uintptr_t seq = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&k->seq, (seq + 1) | 1, __ATOMIC_RELEASE);
    unsigned made = __atomic_load_n(&keys_made, __ATOMIC_RELAXED);
    while (made <= *key &&
           !__atomic_compare_exchange_n(&keys_made, &made, *key + 1, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
    return 0;
}

int gp__tsd_delete(pthread_key_t key)
{
    int r = gp__real.pthread_key_delete(key);
    if (r != 0)
        return -r;
    uintptr_t seq = __atomic_load_n(&gp__keys[key].seq, __ATOMIC_RELAXED);
    __atomic_store_n(&gp__keys[key].seq, (seq + 2) & ~(uintptr_t)1, __ATOMIC_RELEASE);
    return 0;
}

int gp__tsd_set(struct gp_thread *t, pthread_key_t key, const void *value)
{
    if (key >= PTHREAD_KEYS_MAX)
        return -EINVAL;
    uintptr_t seq = __atomic_load_n(&gp__keys[key].seq, __ATOMIC_ACQUIRE);
    if (!(seq & 1))
        return -EINVAL;
    struct gp_tsd_slot **block = &t->tsd[key / GP_TSD_BLOCK_SIZE];
    if (!*block) {
        if (!value)
            return 0; /* as glibc: storing NULL allocates nothing */
        *block = calloc(GP_TSD_BLOCK_SIZE, sizeof **block);
        if (!*block)
            return -ENOMEM;
    }
    (*block)[key % GP_TSD_BLOCK_SIZE] = (struct gp_tsd_slot){.seq = seq, .value = (void *)value};
    if (value)
        t->tsd_used = true;
    return 0;
}

/* Takes key's value of t, leaving NULL, and says in *live whether it belongs to the key as
 * it is now (a value of a deleted or remade key gets no destructor call). */
static void *take(struct gp_thread *t, pthread_key_t key, bool *live)
{
    uintptr_t seq = __atomic_load_n(&gp__keys[key].seq, __ATOMIC_ACQUIRE);
    if (t->is_main) {
        /* glibc's getspecific already answers NULL for a value of an older key. */
        void *value = gp__real.pthread_getspecific(key);
        if (value)
            gp__real.pthread_setspecific(key, NULL);
        *live = seq & 1;
        return value;
    }
    struct gp_tsd_slot *s = gp__tsd_slot(t, key);
    if (!s)
        return NULL;
    void *value = s->value;
    s->value = NULL;
    *live = s->seq == seq;
    return value;
}

void gp__tsd_exit(struct gp_thread *t)
{
    bool own = !t->is_main;
    if (own && !t->tsd_used)
        return; /* most threads never store a value: nothing to look at, nothing to free */
    /* A round that finds no value ends the loop: then no destructor stored one, which is
     * when glibc stops too (it repeats while destructors store non-NULL values). */
    bool found = true;
    for (int round = 0; found && round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        found = false;
        unsigned made = __atomic_load_n(&keys_made, __ATOMIC_RELAXED);
        for (pthread_key_t key = 0; key < made; key++) {
            /* The OS thread goes on: its keys' values stay. */
            if (__atomic_load_n(&gp__keys[key].os_thread, __ATOMIC_RELAXED))
                continue;
            bool live;
            void *value = take(t, key, &live);
            if (!value)
                continue;
            found = true;
            void (*destructor)(void *) = __atomic_load_n(&gp__keys[key].destructor, __ATOMIC_RELAXED);
            if (live && destructor)
                destructor(value);
        }
    }
    if (!own)
        return;
    /* Values stored in the last round are dropped without a call, as glibc drops them. */
    for (int i = 0; i < GP_TSD_BLOCKS; i++) {
        struct gp_tsd_slot *block = t->tsd[i];
        t->tsd[i] = NULL; /* first: free may look up a key of its own (ASan's does) */
        free(block);
    }
    t->tsd_used = false;
}
