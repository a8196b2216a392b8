/* Jumps that restore a signal mask. glibc's siglongjmp restores the mask that sigsetjmp
 * saved through its internal sigprocmask, which no interposer sees: the calling green
 * thread's mask is set here first, so that the thread keeps the mask the jump gives it
 * (the real mask, which sigsetjmp saved, is that thread's own; runtime/signals.h). In glibc
 * longjmp and _longjmp are siglongjmp (they restore the mask too when the jmp_buf saved
 * one), and __longjmp_chk is the _FORTIFY_SOURCE longjmp. glibc's jumps also run the
 * cleanup handlers of the old protocol that the frames they leave registered: a green
 * thread's are its own (runtime/cancel.h), and the stdio calls register their FILE locks
 * there (a handler that jumps out of a wait in fgets gives the FILE back).
 * Interposes: siglongjmp, longjmp, _longjmp, __longjmp_chk. */
#include "shim.h"

#include "cancel.h"
#include "signals.h"

#include <setjmp.h>
#include <stdint.h>

extern void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((noreturn));

/* The stack pointer that env restores. glibc keeps it mangled (PTR_MANGLE: xor with the
 * pointer guard, tcbhead_t.pointer_guard at %fs:0x30, then rotate left by 17 bits) in word
 * JB_RSP (6) of the jmp_buf: glibc 2.36, x86_64. */
static uintptr_t target_sp(const struct __jmp_buf_tag *env)
{
    uintptr_t guard, v = (uintptr_t)env->__jmpbuf[6];
    __asm__("mov %%fs:0x30, %0" : "=r"(guard));
    return ((v >> 17) | (v << 47)) ^ guard;
}

/* Also resolves the real functions, for a jump made before anything else in the shim ran. */
static void before_jump(struct __jmp_buf_tag *env)
{
    if (!gp_green())
        return;
    if (env->__mask_was_saved)
        gp__signal_jump_mask(&env->__saved_mask);
    if (gp__current->cleanup_old)
        gp__cancel_jump(target_sp(env));
}

/* Each name calls its own real function (under ASan each is its own interceptor). */
#define GP_JUMP(name)                                                                         \
    GP_EXPORT void name(struct __jmp_buf_tag env[1], int val)                                 \
    {                                                                                         \
        before_jump(env);                                                                     \
        gp__real.name(env, val);                                                              \
        __builtin_unreachable();                                                              \
    }

GP_JUMP(siglongjmp)
GP_JUMP(longjmp)
GP_JUMP(_longjmp)
GP_JUMP(__longjmp_chk)
