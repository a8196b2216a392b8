/* How a thread ends, and the cleanup handlers that run when it does (runtime/cancel.h).
 * Interposes: pthread_exit, and what pthread.h's pthread_cleanup_push and
 * pthread_cleanup_pop macros call in C without -fexceptions: __pthread_register_cancel,
 * __pthread_unregister_cancel, __pthread_register_cancel_defer,
 * __pthread_unregister_cancel_restore, __pthread_unwind_next; and _pthread_cleanup_push,
 * _pthread_cleanup_pop, which binaries built before glibc 2.3.3 call. (C++ and C built
 * with -fexceptions push handlers as destructors and cleanup attributes, which the forced
 * unwinding of pthread_exit runs by itself.)
 *
 * A green thread's registrations are its own; every other thread's go to glibc. The
 * scheduler's OS thread registers with glibc until it becomes the main green thread, which
 * then unwinds through both kinds. */
#include "shim.h"

#include "cancel.h"

#include <pthread.h>

GP_EXPORT void pthread_exit(void *result)
{
    if (!gp_green()) {
        gp__real.pthread_exit(result);
        __builtin_unreachable();
    }
    gp__cancel_exit(result);
}

/* Registration: a green thread's own chain, else glibc's. Before the shim is ready there is
 * one thread and nothing to unwind: nothing to remember either. */
static void register_buf(__pthread_unwind_buf_t *buf, bool defer)
{
    if (gp_green())
        gp__cancel_register(buf, defer);
    else if (gp__init())
        gp__cancel_register_real(buf, defer);
}

/* Unregistration follows where the buffer was registered. */
static void unregister_buf(__pthread_unwind_buf_t *buf, bool restore)
{
    if (!gp__init())
        return;
    if (gp__cancel_registered_green(buf))
        gp__cancel_unregister(buf, restore);
    else
        gp__cancel_unregister_real(buf, restore);
}

GP_EXPORT_VERSIONS(__pthread_register_cancel, "GLIBC_2.34", "GLIBC_2.3.3")
void gp_shim___pthread_register_cancel(__pthread_unwind_buf_t *buf) { register_buf(buf, false); }

GP_EXPORT_VERSIONS(__pthread_unregister_cancel, "GLIBC_2.34", "GLIBC_2.3.3")
void gp_shim___pthread_unregister_cancel(__pthread_unwind_buf_t *buf) { unregister_buf(buf, false); }

GP_EXPORT_VERSIONS(__pthread_register_cancel_defer, "GLIBC_2.34", "GLIBC_2.3.3")
void gp_shim___pthread_register_cancel_defer(__pthread_unwind_buf_t *buf) { register_buf(buf, true); }

GP_EXPORT_VERSIONS(__pthread_unregister_cancel_restore, "GLIBC_2.34", "GLIBC_2.3.3")
void gp_shim___pthread_unregister_cancel_restore(__pthread_unwind_buf_t *buf) { unregister_buf(buf, true); }

/* Called by the macro's handler code, after a jump from pthread_exit's unwinding. */
GP_EXPORT_VERSIONS(__pthread_unwind_next, "GLIBC_2.34", "GLIBC_2.3.3")
void gp_shim___pthread_unwind_next(__pthread_unwind_buf_t *buf)
{
    if (!gp_green()) {
        gp__real.__pthread_unwind_next(buf);
        __builtin_unreachable();
    }
    gp__cancel_unwind_next(buf);
}

GP_EXPORT_VERSIONS(_pthread_cleanup_push, "GLIBC_2.34", "GLIBC_2.2.5")
void gp_shim__pthread_cleanup_push(struct _pthread_cleanup_buffer *buf, void (*routine)(void *),
                                   void *arg)
{
    if (!gp_green()) {
        gp__real._pthread_cleanup_push(buf, routine, arg);
        return;
    }
    gp__cancel_push_old(buf, routine, arg);
}

GP_EXPORT_VERSIONS(_pthread_cleanup_pop, "GLIBC_2.34", "GLIBC_2.2.5")
void gp_shim__pthread_cleanup_pop(struct _pthread_cleanup_buffer *buf, int execute)
{
    if (!gp_green()) {
        gp__real._pthread_cleanup_pop(buf, execute);
        return;
    }
    gp__cancel_pop_old(buf, execute);
}
