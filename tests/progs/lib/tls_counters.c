/* A shared library with thread variables, for tls_libs. The same source is built three times
 * (Makefile): libtls_counters.so, which tls_libs is linked against (loaded at start);
 * libtls_loaded.so (tls_loaded.c), loaded with dlopen; libtls_loaded_ie.so (tls_loaded_ie.c),
 * loaded with dlopen and built with -ftls-model=initial-exec (its variables in glibc's
 * surplus of static TLS, reached at a fixed offset from the thread pointer).
 *
 * Built with -fPIC, the variables are reached through __tls_get_addr (the dynamic models).
 * They are static: an exported thread variable would be bound to the first definition in the
 * global scope, so that the loaded copies would all use the linked one's variables. For the
 * same reason no function here calls another exported one. */
#include <stdbool.h>
#include <stddef.h>

#ifndef TLS_LIB_BLOCK
#define TLS_LIB_BLOCK 512
#endif

enum { LIB_INITIAL = 42 };

static __thread long lib_counter = LIB_INITIAL;
static __thread long lib_zeroed;
static __thread unsigned char lib_block[TLS_LIB_BLOCK] = {[0] = 0xA5, [TLS_LIB_BLOCK - 1] = 0x5A};

/* The address of the calling thread's counter: its callers keep it and read through it. */
long *tls_lib_counter(void) { return &lib_counter; }

long tls_lib_zeroed(void) { return lib_zeroed; }

/* The calling thread's block, of *size bytes. */
unsigned char *tls_lib_block(size_t *size)
{
    *size = sizeof lib_block;
    return lib_block;
}

/* One step: the counter up by 1, zeroed by 2, and one byte of the block set to mark (the
 * byte that step picks: the caller keeps a copy of the block to compare). */
void tls_lib_step(long step, unsigned char mark)
{
    lib_counter++;
    lib_zeroed += 2;
    lib_block[(step * 7) % TLS_LIB_BLOCK] = mark;
}

/* True while the calling thread's variables hold the library's image. */
bool tls_lib_initial(void)
{
    if (lib_counter != LIB_INITIAL || lib_zeroed != 0 || lib_block[0] != 0xA5 ||
        lib_block[TLS_LIB_BLOCK - 1] != 0x5A)
        return false;
    for (size_t i = 1; i < TLS_LIB_BLOCK - 1; i++)
        if (lib_block[i] != 0)
            return false;
    return true;
}
