/* See tls.h. Checked against glibc 2.36 (Debian 12), x86_64; it relies only on documented
 * interfaces: dl_iterate_phdr's dlpi_tls_modid and dlpi_tls_data (glibc 2.12+), the PT_TLS
 * program header, __tls_get_addr (the x86_64 psABI's TLS interface) and
 * __cxa_thread_atexit_impl's contract with the C++ runtime (glibc 2.18+). */
#include "tls.h"

#include "config.h"
#include "diag.h"
#include "log.h"
#include "real.h"
#include "resolver.h"
#include "signals.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One module's TLS block, as the scheduler's OS thread has it. */
struct tls_module {
    size_t modid;                /* glibc's module id; reused after a dlclose */
    const unsigned char *image;  /* the initialisation image: image_size bytes, then zeros;
                                  * with modid, it tells a module from its successor */
    size_t image_size;
    unsigned char *block;        /* the live block: the same address for every green thread */
    size_t size;
    size_t offset;               /* where a save area keeps the block */
    bool gone;                   /* dlclose'd: never copied again (its slot is not reused) */
    bool seen;                   /* found by the rescan under way */
};

/* One registered destructor of a thread_local object (__cxa_thread_atexit_impl). */
struct gp_tls_dtor {
    void (*fn)(void *);
    void *obj;
    void *module;                /* a reference on the dlopen'd module that holds fn, so that
                                  * it stays mapped until fn has run (as glibc does), or NULL */
    struct gp_tls_dtor *next;
};

/* The x86_64 psABI's argument of __tls_get_addr. */
struct tls_index {
    unsigned long module;
    unsigned long offset;
};

static struct {
    bool copying;                /* GREENPATCH_TLS=copy, and the scheduler has started */
    struct tls_module *modules;  /* owned; in the order they were found */
    size_t count, capacity;
    size_t save_size;            /* bytes of a complete save area */
    void *(*tls_get_addr)(struct tls_index *);
    int *h_errno_slot;           /* the OS thread's h_errno */
    locale_t live_locale;        /* the OS thread's locale, as the shim last set it */
    struct gp_tls_dtor *main_dtors; /* main's, registered before the scheduler started */
    bool exit_hook;              /* run_exit_dtors is registered with glibc */
} tls;

struct gp_thread *gp__tls_owner;
unsigned gp__tls_modules_generation, gp__tls_modules_seen;

static _Noreturn void out_of_memory(void)
{
    /* What glibc does when it cannot allocate a thread's dynamic TLS block. */
    gp__diag("cannot allocate memory for thread-local data");
    abort();
}

/* Blocks that stay the OS thread's: the runtime's own and libc's (tls.h says why), and a
 * sanitizer runtime's. */
static bool kept_by_os_thread(const char *name, const unsigned char *block, size_t size)
{
    const unsigned char *own = (const unsigned char *)&gp__current;
    const unsigned char *libc = (const unsigned char *)&errno;
    if ((own >= block && own < block + size) || (libc >= block && libc < block + size))
        return true;
    static const char *const sanitizers[] = {"libasan.", "libubsan.", "liblsan.", "libtsan.",
                                             "libhwasan."};
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (size_t i = 0; i < sizeof sanitizers / sizeof sanitizers[0]; i++)
        if (strncmp(base, sanitizers[i], strlen(sanitizers[i])) == 0)
            return true;
    return false;
}

static struct tls_module *find_module(size_t modid, const unsigned char *image)
{
    for (size_t i = 0; i < tls.count; i++)
        if (!tls.modules[i].gone && tls.modules[i].modid == modid && tls.modules[i].image == image)
            return &tls.modules[i];
    return NULL;
}

static void add_module(const struct dl_phdr_info *info, const ElfW(Phdr) *ph)
{
    unsigned char *block = info->dlpi_tls_data;
    if (!block) /* a dlopen'd module this thread has not touched: glibc allocates it now */
        block = tls.tls_get_addr(&(struct tls_index){info->dlpi_tls_modid, 0});
    if (!block || kept_by_os_thread(info->dlpi_name, block, ph->p_memsz) || ph->p_memsz == 0)
        return;
    if (tls.count == tls.capacity) {
        size_t capacity = tls.capacity ? 2 * tls.capacity : 8;
        struct tls_module *m = realloc(tls.modules, capacity * sizeof *m);
        if (!m)
            out_of_memory();
        tls.modules = m;
        tls.capacity = capacity;
    }
    gp__log_info("TLS: module %zu \"%s\": %zu bytes of thread-local data (%zu initialised), "
                 "copied at switches between green threads",
                 (size_t)info->dlpi_tls_modid, *info->dlpi_name ? info->dlpi_name : "the executable",
                 (size_t)ph->p_memsz, (size_t)ph->p_filesz);
    tls.modules[tls.count++] = (struct tls_module){
        .modid = info->dlpi_tls_modid,
        .image = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr),
        .image_size = ph->p_filesz,
        .block = block,
        .size = ph->p_memsz,
        .offset = tls.save_size,
        .seen = true,
    };
    tls.save_size += (ph->p_memsz + 15) & ~(size_t)15;
}

static int scan_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (!info->dlpi_tls_modid)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS)
            continue;
        struct tls_module *m = find_module(info->dlpi_tls_modid,
                                           (const unsigned char *)(info->dlpi_addr + ph->p_vaddr));
        if (m)
            m->seen = true;
        else
            add_module(info, ph);
    }
    return 0;
}

/* Brings the module list up to date: new modules get a slot at the end of every save area
 * (threads that have not saved them start from the image), unloaded ones are never touched
 * again. */
static void rescan(void)
{
    gp__tls_modules_seen = __atomic_load_n(&gp__tls_modules_generation, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < tls.count; i++)
        tls.modules[i].seen = false;
    dl_iterate_phdr(scan_module, NULL);
    for (size_t i = 0; i < tls.count; i++)
        if (!tls.modules[i].seen)
            tls.modules[i].gone = true;
}

void gp__tls_modules_changed(void)
{
    __atomic_add_fetch(&gp__tls_modules_generation, 1, __ATOMIC_RELEASE);
}

void gp__tls_modules_unloaded(void)
{
    gp__tls_modules_changed();
    /* On the scheduler's thread, now: a module loaded again before the next switch can
     * come back with the same id and image, and must not be taken for the one that went
     * (whose dynamic blocks glibc frees once the new one is used). */
    if (tls.copying && gp__current)
        rescan();
}

/* A save area holds the first saved_modules modules; the others are still the images. */
static void save(struct gp_thread *t)
{
    if (t->tls_saved_modules < tls.count) {
        unsigned char *area = realloc(t->tls_saved, tls.save_size);
        if (!area)
            out_of_memory();
        t->tls_saved = area;
        t->tls_saved_modules = tls.count;
    }
    for (size_t i = 0; i < tls.count; i++) {
        const struct tls_module *m = &tls.modules[i];
        if (!m->gone)
            memcpy(t->tls_saved + m->offset, m->block, m->size);
    }
}

static void load(const struct gp_thread *t)
{
    for (size_t i = 0; i < tls.count; i++) {
        const struct tls_module *m = &tls.modules[i];
        if (m->gone)
            continue;
        if (i < t->tls_saved_modules) {
            memcpy(m->block, t->tls_saved + m->offset, m->size);
        } else {
            memcpy(m->block, m->image, m->image_size);
            memset(m->block + m->image_size, 0, m->size - m->image_size);
        }
    }
}

void gp__tls_adopt_main(struct gp_thread *main)
{
    tls.h_errno_slot = __h_errno_location();
    main->locale = tls.live_locale = gp__real.uselocale((locale_t)0);
    gp__tls_owner = main;
    /* Registered before any green thread existed: main's, if this is main's OS thread. */
    if (gettid() == getpid()) {
        main->tls_dtors = tls.main_dtors;
        tls.main_dtors = NULL;
    }
    if (gp__config.tls != GP_TLS_COPY)
        return;
    tls.tls_get_addr = (void *(*)(struct tls_index *))dlsym(RTLD_DEFAULT, "__tls_get_addr");
    if (!tls.tls_get_addr) {
        gp__diag("the dynamic linker has no __tls_get_addr: GREENPATCH_TLS=copy needs it");
        _exit(2);
    }
    rescan();
    tls.copying = true;
}

int gp__tls_spawned(struct gp_thread *t)
{
    t->locale = LC_GLOBAL_LOCALE;
    if (!tls.copying || tls.save_size == 0)
        return 0;
    t->tls_saved = malloc(tls.save_size);
    return t->tls_saved ? 0 : -ENOMEM;
}

void gp__tls_install(struct gp_thread *t)
{
    unsigned generation = __atomic_load_n(&gp__tls_modules_generation, __ATOMIC_ACQUIRE);
    if (generation != gp__tls_modules_seen) {
        if (tls.copying)
            rescan();
        else
            gp__tls_modules_seen = generation;
    }
    struct gp_thread *old = gp__tls_owner;
    if (t == old)
        return;
    if (old)
        old->saved_h_errno = *tls.h_errno_slot;
    *tls.h_errno_slot = t->saved_h_errno;
    if (t->locale != tls.live_locale) {
        gp__real.uselocale(t->locale);
        tls.live_locale = t->locale;
    }
    gp__resolver_switched_in(t);
    if (tls.count) {
        gp__signal_defer_begin();
        if (old)
            save(old);
        load(t);
        gp__signal_defer_end();
    }
    gp__tls_owner = t;
}

locale_t gp__tls_uselocale(struct gp_thread *t, locale_t locale)
{
    locale_t old = gp__real.uselocale(locale);
    if (old && locale)
        t->locale = tls.live_locale = locale;
    return old;
}

/* Runs dtors newest first, as glibc's __call_tls_dtors, including those that the
 * destructors themselves register. */
static void run_dtors(struct gp_tls_dtor **list)
{
    while (*list) {
        struct gp_tls_dtor *d = *list;
        *list = d->next;
        d->fn(d->obj);
        if (d->module) {
            gp__real.dlclose(d->module);
            gp__tls_modules_unloaded();
        }
        free(d);
    }
}

/* glibc runs this at exit() (its __call_tls_dtors, for the OS thread that calls exit): the
 * destructors of the green thread that called exit, as natively. */
static void run_exit_dtors(void *unused)
{
    (void)unused;
    run_dtors(gp__sched_green() ? &gp__current->tls_dtors : &tls.main_dtors);
}

void gp__tls_exit(struct gp_thread *t)
{
    /* glibc 2.36 runs no thread_local destructors for a main thread that calls pthread_exit
     * (__libc_start_call_main deallocates its keys only); neither does the shim. */
    if (!t->is_main)
        run_dtors(&t->tls_dtors);
}

void gp__tls_forget_thread(struct gp_thread *t)
{
    if (gp__tls_owner == t)
        gp__tls_owner = NULL; /* the live blocks hold nobody's values now */
    free(t->tls_saved);
    t->tls_saved = NULL;
    t->tls_saved_modules = 0;
}

/* A reference on the dlopen'd module that holds addr, or NULL for the executable. */
static void *hold_module(void *addr)
{
    Dl_info info;
    struct link_map *map = NULL;
    if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map || !map->l_name[0])
        return NULL;
    return gp__real.dlopen(map->l_name, RTLD_LAZY | RTLD_NOLOAD);
}

int gp__tls_thread_atexit(void (*fn)(void *), void *obj, void *dso_symbol)
{
    if (gp__config.tls != GP_TLS_COPY)
        return -1;
    struct gp_tls_dtor **list;
    if (gp__sched_green())
        list = &gp__current->tls_dtors;
    else if (!gp__current && !tls.copying && gettid() == getpid())
        list = &tls.main_dtors; /* no green thread yet: main's */
    else
        return -1; /* a worker, a foreign OS thread, or a handler on the hub: glibc's */
    if (!tls.exit_hook) {
        if (gp__real.__cxa_thread_atexit_impl(run_exit_dtors, NULL, (void *)run_exit_dtors))
            out_of_memory();
        tls.exit_hook = true;
    }
    struct gp_tls_dtor *d = malloc(sizeof *d);
    if (!d)
        out_of_memory(); /* glibc's __cxa_thread_atexit_impl aborts here too */
    *d = (struct gp_tls_dtor){fn, obj, hold_module(dso_symbol), *list};
    *list = d;
    return 0;
}
