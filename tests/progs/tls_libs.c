/* Thread variables of shared libraries are per thread: the same library source
 * (lib/tls_counters.c: a counter initialised to 42, a zeroed one, a block with a pattern at
 * both ends) linked at start (libtls_counters.so), loaded with dlopen (libtls_loaded.so) and
 * loaded with dlopen built for the initial-exec model (libtls_loaded_ie.so).
 *
 *  - one thread starts before the dlopen and waits; main loads the two libraries and takes
 *    three steps in each of the three (its own values then differ from the image); the
 *    waiting thread, released, must see each library's image in its own copy;
 *  - 32 threads and that one each start from every library's image, fill the blocks with
 *    their own byte and, for 150 steps, take a step in each library (counter + 1, zeroed + 2,
 *    one byte of the block), let the others run (tls_util.h) and check, through the
 *    library's functions and through the counter address the library gave them at the start,
 *    that they still see only their own values, at the same address;
 *  - main's values in the three libraries are untouched by all that.
 *
 * The libraries are beside the program. It loads them by their full path, or with the
 * argument "by-name" by their bare names, which glibc's dlopen finds through the program's
 * RUNPATH of $ORIGIN: the RUNPATH of dlopen's caller, which an interposed dlopen must leave
 * the program (ASan's does not: it calls glibc's from libasan). */
#include "tls_util.h"

#include <dlfcn.h>
#include <stdatomic.h>

enum { LIBS = 3, THREADS = 32, STEPS = 150, LIB_INITIAL = 42, MAIN_STEPS = 3, MAX_BLOCK = 512 };

/* The linked library's functions (lib/tls_counters.c). */
long *tls_lib_counter(void);
long tls_lib_zeroed(void);
unsigned char *tls_lib_block(size_t *size);
void tls_lib_step(long step, unsigned char mark);
bool tls_lib_initial(void);

struct tls_lib {
    const char *name;
    long *(*counter)(void);
    long (*zeroed)(void);
    unsigned char *(*block)(size_t *size);
    void (*step)(long step, unsigned char mark);
    bool (*initial)(void);
    atomic_int not_initial; /* threads that did not start from the image */
    atomic_int not_kept;    /* threads that saw other values than their own */
};

static struct tls_lib libs[LIBS] = {
    {.name = "libtls_counters.so (linked)", .counter = tls_lib_counter, .zeroed = tls_lib_zeroed,
     .block = tls_lib_block, .step = tls_lib_step, .initial = tls_lib_initial},
    {.name = "libtls_loaded.so (dlopen)"},
    {.name = "libtls_loaded_ie.so (dlopen, initial-exec)"},
};

static void *resolve(void *handle, const char *file, const char *symbol)
{
    void *address = dlsym(handle, symbol);
    if (!address) {
        fprintf(stderr, "dlsym %s in %s: %s\n", symbol, file, dlerror());
        exit(1);
    }
    return address;
}

static bool by_name;

static void load(struct tls_lib *lib, const char *file)
{
    char path[4096];
    if (by_name)
        snprintf(path, sizeof path, "%s", file);
    else
        tls_path_beside_program(path, sizeof path, file);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    lib->counter = (long *(*)(void))resolve(handle, file, "tls_lib_counter");
    lib->zeroed = (long (*)(void))resolve(handle, file, "tls_lib_zeroed");
    lib->block = (unsigned char *(*)(size_t *))resolve(handle, file, "tls_lib_block");
    lib->step = (void (*)(long, unsigned char))resolve(handle, file, "tls_lib_step");
    lib->initial = (bool (*)(void))resolve(handle, file, "tls_lib_initial");
}

/* What a thread keeps of one library: the counter's address and a copy of its block. */
struct lib_view {
    long *counter_at;
    size_t size;
    unsigned char shadow[MAX_BLOCK];
};

static void start_view(struct lib_view *v, struct tls_lib *lib, int index)
{
    v->counter_at = lib->counter();
    unsigned char *block = lib->block(&v->size);
    if (v->size > MAX_BLOCK) {
        fprintf(stderr, "%s: a block of %zu bytes\n", lib->name, v->size);
        exit(1);
    }
    memset(block, index, v->size);
    memcpy(v->shadow, block, v->size);
}

/* True when the thread still sees its own values after step. */
static bool own_values(struct lib_view *v, struct tls_lib *lib, int index, int step)
{
    size_t size;
    unsigned char *block = lib->block(&size);
    long seen = *v->counter_at, zeroed = lib->zeroed();
    bool moved = lib->counter() != v->counter_at;
    bool block_own = size == v->size && memcmp(block, v->shadow, size) == 0;
    if (seen == LIB_INITIAL + step + 1 && zeroed == 2 * (step + 1) && !moved && block_own)
        return true;
    tls_fail("thread %d, %s, after step %d (yield kind %d): counter %ld (own %d), zeroed %ld "
             "(own %d), counter's address moved: %s, block its own: %s",
             index, lib->name, step, step % TLS_YIELD_KINDS, seen, LIB_INITIAL + step + 1,
             zeroed, 2 * (step + 1), yes_no(moved), yes_no(block_own));
    return false;
}

static void *count_in_libs(void *arg)
{
    int index = (int)(intptr_t)arg;
    struct lib_view views[LIBS];
    for (int l = 0; l < LIBS; l++) {
        if (!libs[l].initial()) {
            atomic_fetch_add(&libs[l].not_initial, 1);
            tls_fail("thread %d did not start from the image of %s: counter %ld", index,
                     libs[l].name, *libs[l].counter());
        }
        start_view(&views[l], &libs[l], index);
    }
    for (int step = 0; step < STEPS; step++) {
        for (int l = 0; l < LIBS; l++) {
            unsigned char mark = (unsigned char)(index + step + l);
            libs[l].step(step, mark);
            views[l].shadow[(step * 7) % views[l].size] = mark;
        }
        tls_yield(step);
        bool kept = true;
        for (int l = 0; l < LIBS; l++)
            if (!own_values(&views[l], &libs[l], index, step)) {
                atomic_fetch_add(&libs[l].not_kept, 1);
                kept = false;
            }
        if (!kept)
            break;
    }
    return NULL;
}

/* ---- the thread started before the dlopen ---- */

static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t loaded_cond = PTHREAD_COND_INITIALIZER;
static bool loaded; /* under loaded_lock */
static bool early_saw_images;

static void *start_before_dlopen(void *arg)
{
    bool linked_initial = tls_lib_initial();
    pthread_mutex_lock(&loaded_lock);
    while (!loaded)
        pthread_cond_wait(&loaded_cond, &loaded_lock);
    pthread_mutex_unlock(&loaded_lock);
    early_saw_images = linked_initial;
    for (int l = 0; l < LIBS; l++)
        early_saw_images = early_saw_images && libs[l].initial();
    return count_in_libs(arg);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    by_name = argc > 1 && strcmp(argv[1], "by-name") == 0;
    alarm(TLS_ALARM_S);
    printf("tls_libs start\n");
    pthread_t early = start_thread(NULL, start_before_dlopen, (void *)(intptr_t)THREADS);
    usleep(10000); /* the early thread waits meanwhile (natively or not: both are fine) */
    load(&libs[1], "libtls_loaded.so");
    load(&libs[2], "libtls_loaded_ie.so");
    for (int l = 0; l < LIBS; l++)
        for (int step = 0; step < MAIN_STEPS; step++)
            libs[l].step(step, 0xEE);
    long *main_counters[LIBS];
    for (int l = 0; l < LIBS; l++)
        main_counters[l] = libs[l].counter();

    pthread_t feeder = tls_feeder_start((THREADS + 1) * tls_pipe_reads(STEPS));
    pthread_mutex_lock(&loaded_lock);
    loaded = true;
    pthread_cond_broadcast(&loaded_cond);
    pthread_mutex_unlock(&loaded_lock);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, count_in_libs, (void *)(intptr_t)i);
    report_os_threads("workers-alive");
    for (int i = 0; i < THREADS; i++)
        join_or_die(threads[i]);
    join_or_die(early);
    join_or_die(feeder);

    printf("a thread started before the dlopen saw each library's image in its own copy after "
           "it: %s\n", yes_no(early_saw_images));
    if (!early_saw_images)
        tls_fail("the thread started before the dlopen did not see every library's image");
    for (int l = 0; l < LIBS; l++) {
        bool main_kept = libs[l].counter() == main_counters[l] &&
                         *main_counters[l] == LIB_INITIAL + MAIN_STEPS &&
                         libs[l].zeroed() == 2 * MAIN_STEPS;
        printf("%s: %d threads started from its image: %s, kept their own values across every "
               "yield: %s; main's values kept: %s\n",
               libs[l].name, THREADS + 1, yes_no(atomic_load(&libs[l].not_initial) == 0),
               yes_no(atomic_load(&libs[l].not_kept) == 0), yes_no(main_kept));
        if (!main_kept)
            tls_fail("main's values in %s changed: counter %ld, zeroed %ld", libs[l].name,
                     *libs[l].counter(), libs[l].zeroed());
    }
    return tls_exit_status();
}
