/* Loading and unloading shared objects, watched for their thread-local storage
 * (runtime/tls.h): each green thread copies the TLS blocks of the modules the scheduler
 * knows, so it must learn of the modules that come and go.
 * Interposes: dlopen, dlmopen, dlclose. What they do is glibc's, unchanged.
 *
 * dlopen and dlmopen look at their caller: the object whose return address they see gives
 * the namespace and the DT_RPATH/DT_RUNPATH searched for the file, and $ORIGIN in the name
 * is that object's directory. A plain C wrapper would make libgreenpatch the caller, and a
 * program's plugin found through its own RUNPATH would no longer be found. So these two
 * jump to glibc's function with the caller's return address still on the stack, after
 * telling the runtime that a module may come: it rescans the modules at the next switch
 * between green threads, which is after dlopen returns or inside it when a constructor of
 * the new object waits (by then glibc has mapped it and set up its TLS). dlclose has no
 * such concern: the runtime hears of it once glibc has unloaded the object, and on the
 * scheduler's thread forgets the object's blocks at once. */
#include "shim.h"

#include "tls.h"

#include <dlfcn.h>

/* Where the jumps below go: glibc's functions (resolved here when dlopen comes before the
 * shim's own initialisation, from another library's constructor). */
__attribute__((visibility("hidden"), used)) void *gp__shim_dlopen_target(void)
{
    gp__tls_modules_changed();
    return gp__real_resolve() ? (void *)gp__real.dlopen : dlsym(RTLD_NEXT, "dlopen");
}

__attribute__((visibility("hidden"), used)) void *gp__shim_dlmopen_target(void)
{
    gp__tls_modules_changed();
    return gp__real_resolve() ? (void *)gp__real.dlmopen : dlsym(RTLD_NEXT, "dlmopen");
}

/* Keeps the three argument registers across the call that finds the target, then jumps:
 * the caller's return address is what glibc sees. (The functions below take their
 * arguments in those registers; they are declared without parameters, which they never
 * touch from C.) (Three pushes after the call's own
 * return address keep the stack 16-byte aligned for the call.) */
#define GP_JUMP_AFTER(target)                                                                 \
    __asm__("pushq %rdi\n\t"                                                                   \
            "pushq %rsi\n\t"                                                                   \
            "pushq %rdx\n\t"                                                                   \
            "call " #target "\n\t"                                                             \
            "popq %rdx\n\t"                                                                    \
            "popq %rsi\n\t"                                                                    \
            "popq %rdi\n\t"                                                                    \
            "jmp *%rax\n\t")

GP_EXPORT_VERSIONS(dlopen, "GLIBC_2.34", "GLIBC_2.2.5")
__attribute__((naked)) void *gp_shim_dlopen(void)
{
    GP_JUMP_AFTER(gp__shim_dlopen_target);
}

GP_EXPORT_VERSIONS(dlmopen, "GLIBC_2.34", "GLIBC_2.3.4")
__attribute__((naked)) void *gp_shim_dlmopen(void)
{
    GP_JUMP_AFTER(gp__shim_dlmopen_target);
}

GP_EXPORT_VERSIONS(dlclose, "GLIBC_2.34", "GLIBC_2.2.5")
int gp_shim_dlclose(void *handle)
{
    if (!gp__real_resolve())
        return ((int (*)(void *))dlsym(RTLD_NEXT, "dlclose"))(handle);
    int r = gp__real.dlclose(handle);
    gp__tls_modules_unloaded();
    return r;
}
