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

GP_EXPORT void siglongjmp(sigjmp_buf env, int val)
{
    take_saved_mask(env);
    gp__real.siglongjmp(env, val);
    __builtin_unreachable();
}

GP_EXPORT void longjmp(jmp_buf env, int val)
{
    take_saved_mask(env);
    gp__real.longjmp(env, val);
    __builtin_unreachable();
}

GP_EXPORT void _longjmp(jmp_buf env, int val)
{
    take_saved_mask(env);
    gp__real._longjmp(env, val);
    __builtin_unreachable();
}

GP_EXPORT void __longjmp_chk(sigjmp_buf env, int val)
{
    take_saved_mask(env);
    gp__real.__longjmp_chk(env, val);
    __builtin_unreachable();
}
