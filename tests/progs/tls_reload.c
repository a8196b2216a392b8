/* A library with thread variables (libtls_loaded.so, lib/tls_counters.c) unloaded by
 * dlclose and loaded again: every thread starts again from its image, as natively (glibc
 * gives each thread a fresh block for the new module), not from the values it had in the
 * library that is gone.
 *
 * One thread loads the library and takes three steps in it (its counter 45); main takes two
 * in its own copy (44); the loader then unloads the library, loads it again and looks; main
 * looks; a thread started afterwards looks. The steps (thr_steps.h) put the threads in one
 * order, natively and under the shim. */
#include "tls_util.h"
#include "thr_steps.h"

#include <dlfcn.h>

enum { LIB_INITIAL = 42 };

struct lib {
    void *handle;
    long *(*counter)(void);
    void (*step)(long step, unsigned char mark);
    bool (*initial)(void);
};

static struct lib lib; /* what the loader loaded last; main and the late thread use it */

static void *resolve(const char *symbol)
{
    void *address = dlsym(lib.handle, symbol);
    if (!address) {
        fprintf(stderr, "dlsym %s: %s\n", symbol, dlerror());
        exit(1);
    }
    return address;
}

static void load(void)
{
    char path[4096];
    tls_path_beside_program(path, sizeof path, "libtls_loaded.so");
    lib.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib.handle) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    lib.counter = (long *(*)(void))resolve("tls_lib_counter");
    lib.step = (void (*)(long, unsigned char))resolve("tls_lib_step");
    lib.initial = (bool (*)(void))resolve("tls_lib_initial");
}

static void take_steps(int count)
{
    for (int i = 0; i < count; i++)
        lib.step(i, 0xEE);
}

/* Prints what the caller sees in the library and fails when it is not expected. */
static void look(const char *who, long expected, bool image)
{
    long seen = *lib.counter();
    bool initial = lib.initial();
    printf("%s: counter %ld, the image: %s\n", who, seen, yes_no(initial));
    if (seen != expected || initial != image)
        tls_fail("%s: counter %ld, the image: %s; expected %ld, %s", who, seen, yes_no(initial),
                 expected, yes_no(image));
}

static void *loader(void *arg)
{
    (void)arg;
    load();
    take_steps(3);
    set_step(1);
    wait_step(2);
    look("the loader, before the dlclose", LIB_INITIAL + 3, false);
    must_succeed(dlclose(lib.handle) ? EINVAL : 0, "dlclose");
    load();
    look("the loader, after the dlclose and a new dlopen", LIB_INITIAL, true);
    take_steps(1);
    set_step(3);
    return NULL;
}

static void *late(void *arg)
{
    (void)arg;
    look("a thread started after the reload", LIB_INITIAL, true);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(TLS_ALARM_S);
    printf("tls_reload start\n");
    pthread_t loading = start_thread(NULL, loader, NULL);
    wait_step(1);
    look("main, in the library the loader loaded", LIB_INITIAL, true);
    take_steps(2);
    set_step(2);
    wait_step(3);
    look("main, which had values in the unloaded library, in the new one", LIB_INITIAL, true);
    join_or_die(loading);
    join_or_die(start_thread(NULL, late, NULL));
    return tls_exit_status();
}
