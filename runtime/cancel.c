/* See cancel.h. */
#include "cancel.h"

#include "diag.h"
#include "real.h"
#include "timeout.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <unwind.h>

/* glibc's private view of __pthread_unwind_buf_t (struct pthread_unwind_buf, nptl/descr.h,
 * glibc 2.36): the jump buffer that __sigsetjmp filled, then the registration's links. */
struct unwind_buf {
    struct __cancel_jmp_buf_tag cancel_jmp_buf[1];
    union {
        void *pad[4];
        struct {
            struct unwind_buf *prev;                  /* the next outer registration */
            struct _pthread_cleanup_buffer *cleanup; /* the old protocol's list back then */
            int canceltype;                           /* saved by the _defer variants */
        } data;
    } priv;
};
_Static_assert(sizeof(struct unwind_buf) == sizeof(__pthread_unwind_buf_t), "glibc's layout");

/* siglongjmp for the buffer of pthread_cleanup_push, which is shorter than a sigjmp_buf (no
 * saved mask, which __sigsetjmp did not save): declared with its type, as pthread.h declares
 * __sigsetjmp_cancel, so that the compiler does not take it for a short sigjmp_buf. */
extern _Noreturn void jump_to_cleanup(struct __cancel_jmp_buf_tag env[1], int val)
    __asm__("siglongjmp");

/* Who registered a buffer, written to the slot of the buffer that glibc leaves unused
 * (pad[3]), mixed with the buffer's address: a green thread (into its own chain), or an OS
 * thread through glibc; and whether the next outer buffer is one the shim saw registered
 * too. The main thread's chain ends at a buffer the shim did not see: the one glibc's
 * __libc_start_call_main registered, into which only glibc may jump (and whose spare slot
 * nobody wrote: it is never read). */
#define MARK_GREEN ((uintptr_t)0x67726e2d636e636cull)
#define MARK_REAL ((uintptr_t)0x676c6962632d636cull)
#define PREV_SEEN ((uintptr_t)1)
_Static_assert(!(MARK_GREEN & PREV_SEEN) && !(MARK_REAL & PREV_SEEN), "the flag is not part of a kind");

static void mark(struct unwind_buf *b, uintptr_t kind, bool prev_seen)
{
    b->priv.pad[3] = (void *)((uintptr_t)b ^ kind ^ (prev_seen ? PREV_SEEN : 0));
}

static uintptr_t kind_of(const struct unwind_buf *b)
{
    return ((uintptr_t)b->priv.pad[3] ^ (uintptr_t)b) & ~PREV_SEEN;
}

/* The next outer buffer of one the shim registered, when the shim saw that one too. */
static struct unwind_buf *prev_seen(const struct unwind_buf *b)
{
    return ((uintptr_t)b->priv.pad[3] ^ (uintptr_t)b) & PREV_SEEN ? b->priv.data.prev : NULL;
}

/* What the calling OS thread registered with glibc through the shim, innermost first: the
 * scheduler's OS thread hands it to main when main becomes a green thread. */
static __thread struct unwind_buf *os_cleanup_bufs;

/* libgcc_s's unwinder, loaded at the first pthread_exit of a green thread, as glibc loads
 * it at the first pthread_exit (the shim itself depends on libc alone). */
static struct {
    _Unwind_Reason_Code (*forced_unwind)(struct _Unwind_Exception *, _Unwind_Stop_Fn, void *);
    _Unwind_Word (*get_cfa)(struct _Unwind_Context *);
} unwinder;

static void load_unwinder(void)
{
    if (unwinder.forced_unwind)
        return;
    void *lib = gp__real.dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib) {
        *(void **)&unwinder.get_cfa = dlsym(lib, "_Unwind_GetCFA");
        *(void **)&unwinder.forced_unwind = dlsym(lib, "_Unwind_ForcedUnwind");
    }
    if (!unwinder.forced_unwind || !unwinder.get_cfa) {
        gp__diag("libgcc_s.so.1 must be installed for pthread_exit to work");
        abort();
    }
}

/* A C++ catch (...) that swallowed the forced unwind instead of rethrowing: glibc ends the
 * process the same way. */
static void not_rethrown(_Unwind_Reason_Code reason, struct _Unwind_Exception *exc)
{
    (void)reason, (void)exc;
    gp__diag("FATAL: exception not rethrown");
    abort();
}

/* The unwinding reached the bottom of the thread. */
static _Noreturn void finish(struct gp_thread *t)
{
    if (t->exit_base)
        longjmp(*t->exit_base, 1);
    /* main: the frames below main() are glibc's, with nothing to clean up, and this is as
     * deep as the unwinding went: the destructors have room. */
    gp__sched_exit(t->result);
}

/* Called by the unwinder before each frame's own cleanups run, as glibc's unwind_stop.
 * _Unwind_GetCFA of a frame's context is the stack pointer of that frame at its call, so
 * once it is above a registered buffer the unwinding has reached the frames that hold it. */
static _Unwind_Reason_Code stop(int version, _Unwind_Action actions, _Unwind_Exception_Class cls,
                                struct _Unwind_Exception *exc, struct _Unwind_Context *context,
                                void *param)
{
    (void)version, (void)cls, (void)exc;
    struct gp_thread *t = param;
    uintptr_t cfa = unwinder.get_cfa(context);
    /* The end of the unwind information, or (should a fiber's first frame ever get some)
     * the frame that called the start routine. */
    bool bottom = (actions & _UA_END_OF_STACK) || (t->exit_frame && cfa > t->exit_frame);
    struct unwind_buf *buf = t->cleanup_bufs;
    bool jump = buf && (bottom || cfa > (uintptr_t)buf);
    /* Handlers of the old protocol that this step leaves behind, down to the one that was
     * current when the innermost buffer was registered. Each is unlinked before it runs. */
    struct _pthread_cleanup_buffer *end = buf ? buf->priv.data.cleanup : NULL;
    for (struct _pthread_cleanup_buffer *c = t->cleanup_old;
         c && c != end && (bottom || jump || cfa > (uintptr_t)c); c = t->cleanup_old) {
        t->cleanup_old = c->__prev;
        c->__routine(c->__arg);
    }
    /* Into the pthread_cleanup_push macro's frame: it runs the handler and calls
     * __pthread_unwind_next. The buffer's mask was not saved: nothing but a jump. */
    if (jump)
        jump_to_cleanup(buf->cancel_jmp_buf, 1);
    if (bottom)
        finish(t);
    return _URC_NO_REASON;
}

static _Noreturn void unwind(struct gp_thread *t)
{
    load_unwinder();
    t->unwind.exception_class = 0;
    t->unwind.exception_cleanup = not_rethrown;
    unwinder.forced_unwind(&t->unwind, stop, t);
    gp__diag("pthread_exit: the stack of the thread cannot be unwound");
    abort();
}

void gp__cancel_exit(void *result)
{
    struct gp_thread *t = gp__current;
    assert(gp__sched_green());
    t->exiting = true;
    t->result = result;
    gp__timeout_init(t); /* the cleanup handlers and destructors wait as long as it takes */
    unwind(t);
}

void gp__cancel_unwind_next(void *p)
{
    struct unwind_buf *b = p;
    struct gp_thread *t = gp__current;
    t->cleanup_bufs = prev_seen(b);
    unwind(t);
}

void *gp__cancel_run(struct gp_thread *t)
{
    jmp_buf base;
    t->exit_base = &base;
    t->exit_frame = (uintptr_t)__builtin_frame_address(0);
    void *result = setjmp(base) == 0 ? t->start(t->arg) : t->result;
    /* From here on the frame is gone for the unwinder: a pthread_exit inside a destructor
     * of thread-specific data unwinds to the bottom of the stack instead. */
    t->exit_base = NULL;
    t->exit_frame = 0;
    return result;
}

bool gp__cancel_due(void)
{
    struct gp_thread *t = gp__current;
    return t && !t->is_hub && __atomic_load_n(&t->cancel_pending, __ATOMIC_RELAXED) &&
           !t->cancel_disabled && !t->exiting;
}

void gp__cancel_act(void)
{
    if (gp__cancel_due())
        gp__cancel_exit(PTHREAD_CANCELED);
}

int gp__cancel_request(struct gp_thread *t)
{
    /* glibc: a thread that has ended already has its outcome; the request is a no-op. */
    if (t->state == GP_DEAD || t->exiting)
        return 0;
    __atomic_store_n(&t->cancel_pending, true, __ATOMIC_RELAXED);
    struct gp_thread *self = gp__current;
    if (!self)
        return 0; /* another OS thread: noted, acted on at t's next cancellation point */
    if (t == self) {
        if (t->cancel_async)
            gp__cancel_act(); /* glibc cancels itself at once, without the signal */
        return 0;
    }
    /* A thread made runnable only to run a signal handler (GP_WAKE_SIGNAL) parks again
     * afterwards: it is woken too (gp__sched_unpark turns that wake into this one), or the
     * request would wait for the end of its wait (a pthread_join hung so). */
    bool parked = t->state == GP_PARKED ||
                  (t->state == GP_RUNNABLE && t->wake == GP_WAKE_SIGNAL);
    if (!t->cancel_disabled && parked && (t->interrupt != GP_INTR_NEVER || t->cancel_wait))
        gp__sched_unpark(t, GP_WAKE_INTERRUPT);
    return 0;
}

int gp__cancel_set_state(int state, int *old)
{
    if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
        return -EINVAL;
    struct gp_thread *t = gp__current;
    bool was_disabled = t->cancel_disabled;
    if (old)
        *old = was_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
    t->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
    if (was_disabled && !t->cancel_disabled && t->cancel_async)
        gp__cancel_act();
    return 0;
}

/* Sets the calling thread's type; glibc acts on a pending request as soon as the type
 * becomes asynchronous. */
static void set_async(struct gp_thread *t, bool async)
{
    bool was_async = t->cancel_async;
    t->cancel_async = async;
    if (async && !was_async)
        gp__cancel_act();
}

int gp__cancel_set_type(int type, int *old)
{
    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return -EINVAL;
    struct gp_thread *t = gp__current;
    if (old)
        *old = t->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
    set_async(t, type == PTHREAD_CANCEL_ASYNCHRONOUS);
    return 0;
}

/* The _defer variants: deferred cancellation while the handler is pushed. */
static int defer(struct gp_thread *t)
{
    int type = t->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
    t->cancel_async = false;
    return type;
}

void gp__cancel_register(void *p, bool deferring)
{
    struct unwind_buf *b = p;
    struct gp_thread *t = gp__current;
    b->priv.data.prev = t->cleanup_bufs;
    b->priv.data.cleanup = t->cleanup_old;
    if (deferring)
        b->priv.data.canceltype = defer(t);
    mark(b, MARK_GREEN, b->priv.data.prev != NULL);
    t->cleanup_bufs = b;
}

void gp__cancel_unregister(void *p, bool restore)
{
    struct unwind_buf *b = p;
    struct gp_thread *t = gp__current;
    t->cleanup_bufs = prev_seen(b);
    b->priv.pad[3] = NULL;
    if (restore)
        set_async(t, b->priv.data.canceltype != PTHREAD_CANCEL_DEFERRED || t->cancel_async);
}

bool gp__cancel_registered_green(const void *p) { return kind_of(p) == MARK_GREEN; }

void gp__cancel_register_real(void *p, bool deferring)
{
    struct unwind_buf *b = p;
    if (deferring)
        gp__real.__pthread_register_cancel_defer(p);
    else
        gp__real.__pthread_register_cancel(p);
    /* glibc linked b to its previous buffer, which the shim saw unless glibc registered one
     * by itself since. */
    mark(b, MARK_REAL, os_cleanup_bufs && b->priv.data.prev == os_cleanup_bufs);
    os_cleanup_bufs = b;
}

void gp__cancel_unregister_real(void *p, bool restore)
{
    struct unwind_buf *b = p;
    os_cleanup_bufs = prev_seen(b);
    b->priv.pad[3] = NULL;
    /* main may pop, as a green thread, what it pushed before it became one. */
    struct gp_thread *t = gp__current;
    if (t && t->is_main && t->cleanup_bufs == p)
        t->cleanup_bufs = os_cleanup_bufs;
    if (restore)
        gp__real.__pthread_unregister_cancel_restore(p);
    else
        gp__real.__pthread_unregister_cancel(p);
}

void gp__cancel_push_old(struct _pthread_cleanup_buffer *b, void (*routine)(void *), void *arg)
{
    struct gp_thread *t = gp__current;
    b->__routine = routine;
    b->__arg = arg;
    b->__prev = t->cleanup_old;
    t->cleanup_old = b;
}

void gp__cancel_pop_old(struct _pthread_cleanup_buffer *b, int execute)
{
    gp__current->cleanup_old = b->__prev;
    if (execute)
        b->__routine(b->__arg);
}

void gp__cancel_jump(uintptr_t sp)
{
    struct gp_thread *t = gp__current;
    struct _pthread_cleanup_buffer *c;
    while ((c = t->cleanup_old) && (uintptr_t)c < sp) {
        t->cleanup_old = c->__prev;
        c->__routine(c->__arg);
    }
}

void gp__cancel_adopt_main(struct gp_thread *main)
{
    /* glibc has no getters: set and put back. Nothing can be pending for the caller. */
    int state, type;
    gp__real.pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
    gp__real.pthread_setcancelstate(state, NULL);
    gp__real.pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
    gp__real.pthread_setcanceltype(type, NULL);
    main->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
    main->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
    main->cleanup_bufs = os_cleanup_bufs;
}
