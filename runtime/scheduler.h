/* The scheduler: green threads, the run queue, spawn, exit, join, park and unpark.
 *
 * Every green thread runs on one OS thread, the one that first spawned (the "scheduler
 * thread"); the program's main thread becomes the first green thread at that moment. The
 * hub (hub.h) is a fiber too: the scheduler switches to it when nothing else can run. */
#ifndef GP_SCHED_H
#define GP_SCHED_H

#include "fiber.h"
#include "greenpatch.h"
#include "list.h"

#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unwind.h>

#define GP_THREAD_MAGIC 0x67726e74u /* "grnt" */

/* Mutex owners are TIDs natively. Green threads other than main get lock ids from here up,
 * above the kernel's largest pid (2^22), so that a mutex held by a real OS thread is never
 * mistaken for a green thread's. */
#define GP_GREEN_LOCK_ID_BASE 0x40000000

/* Why a park ended. Kept in the green thread, never in errno. */
enum gp_wake {
    GP_WAKE_READY,     /* what it waited for happened */
    GP_WAKE_TIMEOUT,   /* its deadline passed first */
    GP_WAKE_CLOSED,    /* the fd it waited on was closed by another green thread */
    GP_WAKE_INTERRUPT, /* a signal handler ran while it waited */
    GP_WAKE_SIGNAL,    /* only a signal handler is due: it runs and the wait goes on
                        * (gp__sched_park never returns it; waitq.h says where it does) */
};

enum gp_state { GP_RUNNABLE, GP_RUNNING, GP_PARKED, GP_DEAD };

/* What a parked green thread waits for, for the thread dump (inspect.h). The layer that
 * knows most says it: a specific one (a mutex, a condition variable, a join, the pool)
 * before it calls the generic wait, which names its own kind (fds, a wait queue, a sleep)
 * only when nothing was said. gp__sched_park clears it when the park ends. */
enum gp_park_what {
    GP_PARK_NONE,
    GP_PARK_FDS,   /* fds/nfds: the hub's fd waits */
    GP_PARK_QUEUE, /* obj: a wait queue's key (a futex word, a semaphore, a lock...) */
    GP_PARK_MUTEX, /* obj: the pthread mutex */
    GP_PARK_COND,  /* obj: the condition variable */
    GP_PARK_JOIN,  /* obj: the green thread joined */
    GP_PARK_POOL,  /* obj: the function a worker runs for it */
    GP_PARK_SLEEP, /* only its deadline */
};
struct gp_hub_fd;
struct gp_park {
    enum gp_park_what what;
    const void *obj;
    const struct gp_hub_fd *fds; /* on the parked thread's stack, while it waits */
    size_t nfds;
    int64_t deadline;            /* of its last park through the hub (clock.h) */
    int64_t since;               /* when it entered its state: kept only with the dump on */
};

/* Thread-specific values (tsd.h) live in blocks of GP_TSD_BLOCK_SIZE keys, allocated when a
 * key of the block first gets a value, as glibc keeps its second-level arrays. */
enum { GP_TSD_BLOCK_SIZE = 32, GP_TSD_BLOCKS = PTHREAD_KEYS_MAX / GP_TSD_BLOCK_SIZE };
struct gp_tsd_slot;
struct gp_tls_dtor;

/* Whether a signal handler ends a wait (signal(7): sleeps and socket calls with a timeout
 * always fail with EINTR; other blocking I/O restarts under SA_RESTART; mutexes, condition
 * variables and joins never fail with EINTR). */
enum gp_interrupt { GP_INTR_NEVER, GP_INTR_ALWAYS, GP_INTR_UNLESS_RESTART };

/* A green thread other than main lives at the top of its own stack, as glibc's struct
 * pthread does (gp__sched_spawn), and its stack stays until it is joined, or until it exits
 * when it is detached: the page its first frames touch holds it, so that it costs no
 * allocation and no memory of its own. Main's and the hub's are allocated. */
struct gp_thread {
    uint32_t magic;          /* GP_THREAD_MAGIC while this struct is a green thread */
    enum gp_state state;
    struct gp_fiber fiber;   /* owned; the main thread's fiber is the OS thread's own stack */
    struct gp_list run_link; /* on sched.run_queue while GP_RUNNABLE */
    void *(*start)(void *);  /* the start routine and its argument */
    void *arg;
    void *result;            /* what start returned or pthread_exit was given */
    int saved_errno;         /* errno while switched out */
    int saved_h_errno;       /* h_errno while switched out (tls.h) */
    enum gp_wake wake;       /* why the last park ended */
    int lock_id;             /* written to pthread mutexes' __owner (the TID for main) */
    uint64_t id;             /* 1 for main, then in spawn order, never reused; 0 for the hub */
    bool detached;           /* nobody will join: freed at exit */
    bool is_main;
    bool is_hub;
    struct gp_thread *joiner; /* the thread parked in join on this one, not owned */
    enum gp_interrupt interrupt; /* while parked: may a signal handler end the wait */
    struct gp_list intr_link;    /* on signals.c's interruptible list while interrupt != NEVER */
    int deferred_signals;        /* signals.c: handlers waiting to run on this thread */
    struct gp_resolver_thread *resolver; /* resolver.c: its resolver state and results;
                                          * at the top of its stack, after this struct
                                          * (main's: allocated when first needed) */
    /* Signal masks and pending signals, owned by signals.c; a set holds signal sig in bit
     * sig - 1 (gp__sigbit in signals.h). */
    uint64_t sig_blocked;        /* the thread's mask; the OS thread's real one while it runs */
    uint64_t sig_counted;        /* sig_blocked as the hub's mask last counted it */
    uint64_t sig_waiting;        /* in sigwait and the like: the signals it takes */
    uint64_t sig_pending;        /* pending for this thread: they came while it blocked them */
    struct gp_list sig_link;     /* on signals.c's list of live green threads */

    /* Identity, exit and cancellation (cancel.h), thread-specific data (tsd.h). */
    char name[16];            /* pthread_setname_np's; a new thread inherits its creator's */
    bool cancel_disabled;     /* pthread_setcancelstate(PTHREAD_CANCEL_DISABLE) */
    bool cancel_async;        /* pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS) */
    bool cancel_pending;      /* pthread_cancel asked; atomic (an OS thread may ask too) */
    bool cancel_wait;         /* parked in a cancellation point's wait that no signal ends */
    bool exiting;             /* pthread_exit, cancellation or return under way */
    void *cleanup_bufs;       /* innermost buffer of pthread_cleanup_push (glibc's C protocol),
                               * on this thread's stack, not owned */
    struct _pthread_cleanup_buffer *cleanup_old; /* _pthread_cleanup_push's, the same */
    jmp_buf *exit_base;       /* where pthread_exit's unwinding ends, while start runs; NULL
                               * for main, whose unwinding ends at the bottom of its stack */
    uintptr_t exit_frame;     /* the frame address of the function that holds exit_base */
    struct _Unwind_Exception unwind; /* the forced unwind of pthread_exit, once it begins */
    struct gp_tsd_slot *tsd[GP_TSD_BLOCKS]; /* owned; NULL until a key of the block is set */
    bool tsd_used;            /* a non-NULL value was stored since the last look */

    /* Thread-local storage (tls.h). */
    unsigned char *tls_saved; /* owned: its values of the copied TLS blocks while another
                               * thread's are live, or NULL */
    size_t tls_saved_modules; /* how many modules tls_saved holds; the others start from
                               * their images (0 until it is first switched out) */
    struct gp_tls_dtor *tls_dtors; /* owned: its thread_local destructors, newest first */
    locale_t locale;          /* its uselocale(); LC_GLOBAL_LOCALE for a new thread */

    struct gp_park park;      /* what it waits for (the thread dump, inspect.h) */

    /* The explicit API (greenpatch.h). */
    int64_t timeout_deadline;       /* timeout.h: the innermost scope's deadline (clock.h),
                                     * GP_NO_DEADLINE when none is open */
    int64_t timeout_stack[GP_TIMEOUT_DEPTH]; /* timeout.h: the deadline in force before each
                                     * open scope, outermost first: what its pop restores */
    unsigned timeout_depth;         /* how many scopes are open */
    bool has_handle;                /* in handles.c's table: the API handed out its id */
    struct gp_thread *handle_next;  /* the next thread of its bucket there, not owned */
    /* Run by gp__sched_exit as the thread ends, however it ends, once its result is set
     * and its destructors have run: a pool's thread gives its pool and pile the news
     * (greenpool.c). exit_hook_arg is the hook's, not owned. */
    void (*exit_hook)(struct gp_thread *t);
    void *exit_hook_arg;
};

/* Spawn-time choices, from pthread attributes or the explicit API. */
struct gp_spawn_opts {
    size_t stack_size; /* 0: the configured default */
    size_t guard_size; /* bytes of guard below the stack */
    void *stack_addr;  /* program-supplied stack (lowest address), or NULL */
    bool detached;
};

/* The running green thread on the scheduler thread; NULL on every other OS thread and
 * before the first spawn. */
extern __thread struct gp_thread *gp__current;

/* Green threads that have started and not yet exited. */
extern size_t gp__sched_live;

/* True when the caller is a green thread (not the hub, not a stranger OS thread). */
static inline bool gp__sched_green(void)
{
    struct gp_thread *t = gp__current;
    return t && !t->is_hub;
}

/* True when a blocking call of the caller may let another green thread run. When it is
 * false the caller is alone (or not a green thread) and the plain libc call is right. */
static inline bool gp__sched_others(void)
{
    /* A thread alone under a timeout scope (timeout.h) waits through the hub too, or its
     * plain call would block past the scope's deadline. */
    return gp__sched_green() &&
           (gp__sched_live > 1 || gp__current->timeout_depth != 0);
}

/* Makes the calling OS thread the scheduler's and its flow the main green thread, as the
 * first spawn does, unless the scheduler runs already. For API calls that need a green
 * caller before any spawn (gp_timeout_push). Returns 0 or a negative errno. */
int gp__sched_start(void);
int gp__sched_spawn(struct gp_thread **out, const struct gp_spawn_opts *o,
                    void *(*start)(void *), void *arg);
/* Ends the calling green thread with result, once its cleanup handlers have run (cancel.h):
 * runs its thread-specific data destructors, wakes its joiner, and switches away for good
 * (or ends the process with status 0 when it was the last thread, as glibc does). */
_Noreturn void gp__sched_exit(void *result);
/* Waits for t to exit, until deadline (gp__now_ns() clock; GP_NO_DEADLINE; or 0 for a
 * try). Returns 0, -EDEADLK, -EINVAL, -EBUSY (try) or -ETIMEDOUT. A cancellation point: a
 * cancellation request ends the caller in here (cancel.h). */
int gp__sched_join(struct gp_thread *t, void **result, int64_t deadline);
int gp__sched_detach(struct gp_thread *t);
/* t if p points at a green thread that can still be joined or detached, else NULL. */
struct gp_thread *gp__sched_lookup(const void *p);
struct gp_thread *gp__sched_main(void);

/* A green thread's pthread_t: the main thread keeps the one glibc gave the scheduler's OS
 * thread, so that glibc functions the shim does not interpose still work on it; the
 * others' is their struct gp_thread. */
pthread_t gp__sched_handle(const struct gp_thread *t);
/* The green thread behind a pthread_t, or NULL for a real thread's. Any OS thread may ask. */
struct gp_thread *gp__sched_from_handle(pthread_t h);
/* The pthread_t of the OS thread that runs every green thread. */
pthread_t gp__sched_os_thread(void);
/* Its kernel thread id: what glibc records as the owner of what any green thread locks. */
pid_t gp__sched_os_tid(void);

/* Park the caller until gp__sched_unpark; returns the reason it was given. The caller
 * registers itself wherever the wake will come from before parking. */
enum gp_wake gp__sched_park(void);
/* Makes a parked thread runnable with the given reason; a no-op if it is not parked. */
void gp__sched_unpark(struct gp_thread *t, enum gp_wake why);
void gp__sched_yield(void);

/* Used by the hub only: switch to the next runnable thread, if any. */
bool gp__sched_run_next(void);
bool gp__sched_runnable(void);

#endif
