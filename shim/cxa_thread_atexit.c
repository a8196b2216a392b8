/* Destructors of C++ thread_local objects (and of anything registered the same way): the
 * C++ runtime (libstdc++'s __cxa_thread_atexit) hands each one to glibc, which keeps a list
 * per OS thread and runs it when the OS thread exits. With thread-local storage per green
 * thread (runtime/tls.h) the objects are per green thread: so are the lists, run at each
 * green thread's exit, and at exit() for the green thread that calls it, as natively.
 * Interposes: __cxa_thread_atexit_impl. */
#include "shim.h"

#include "tls.h"

GP_EXPORT int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso_symbol)
{
    if (gp__init() && !gp__config.disabled && gp__tls_thread_atexit(fn, obj, dso_symbol) == 0)
        return 0;
    return gp__real.__cxa_thread_atexit_impl(fn, obj, dso_symbol);
}
