/* Jumps that restore a signal mask. glibc's siglongjmp restores the mask that sigsetjmp
 * saved through its internal sigprocmask, which no interposer sees: the calling green
 * thread's mask is set here first, so that the thread keeps the mask the jump gives it
 * (the real mask, which sigsetjmp saved, is that thread's own; runtime/signals.h). In glibc
 * longjmp and _longjmp are siglongjmp (they restore the mask too when the jmp_buf saved
 * one), and __longjmp_chk is the _FORTIFY_SOURCE longjmp.
 * Interposes: siglongjmp, longjmp, _longjmp, __longjmp_chk. */
#include "shim.h"

#include "signals.h"

#include <setjmp.h>

extern void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((noreturn));

/* Also resolves the real functions, for a jump made before anything else in the shim ran. */
static void take_saved_mask(struct __jmp_buf_tag *env)
{
    if (gp_green() && env->__mask_was_saved)
        gp__signal_jump_mask(&env->__saved_mask);
}

/* Each name calls its own real function (under ASan each is its own interceptor). */
#define GP_JUMP(name)                                                                         \
    GP_EXPORT void name(struct __jmp_buf_tag env[1], int val)                                 \
    {                                                                                         \
        take_saved_mask(env);                                                                 \
        gp__real.name(env, val);                                                              \
        __builtin_unreachable();                                                              \
    }

GP_JUMP(siglongjmp)
GP_JUMP(longjmp)
GP_JUMP(_longjmp)
GP_JUMP(__longjmp_chk)
