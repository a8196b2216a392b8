/* Preloaded last by scripts/run-tests for the sanitized runs, built with -z initfirst
 * (Makefile): its constructor runs before any other, and initialises ASan there.
 *
 * An ASan-built program initialises ASan from its .preinit_array, before any constructor.
 * The programs the tests run are not ASan-built: libasan comes with the preload, after the
 * shim, and glibc runs the constructors of preloaded objects after those of the program's
 * own libraries. ASan then initialises on the first malloc of some library's constructor,
 * whatever that constructor holds at the time. libp11-kit's (loaded by libpq and libcurl
 * through GnuTLS) calls newlocale, which holds glibc's __libc_setlocale_lock for writing
 * while it allocates; ASan's initialisation calls dlerror, whose message goes through
 * gettext, which takes the same lock for reading and releases it: the write lock is
 * released under newlocale, whose own release then drops the reader count below zero
 * (glibc 2.36), and the next writer, freelocale in p11-kit's destructor at exit, waits
 * forever. Initialising ASan first, as its own programs do, takes no lock of anyone's. */
extern void __asan_init(void) __attribute__((weak));

__attribute__((constructor)) static void asan_init_first(void)
{
    if (__asan_init)
        __asan_init();
}
