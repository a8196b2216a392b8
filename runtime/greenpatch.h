/* libgreenpatch public API: green threads for C programs, the C cousin of eventlet.
 *
 * These calls work in a program linked with -lgreenpatch and in any program running under
 * LD_PRELOAD=libgreenpatch.so, and green threads made either way (gp_spawn, or a
 * pthread_create under the preload) use all of it together. The first call that needs the
 * scheduler (gp_spawn, gp_spawn_after, gp_pool_spawn, gp_pile_spawn, gp_timeout_push) turns
 * the calling OS thread into the scheduler's thread, and its flow into the first green thread; every green thread
 * runs on that OS thread, one at a time, and switches only when it waits or yields.
 *
 * Return values: every int function returns 0 or a positive errno value, like the pthread
 * functions; none of them sets errno. Misuse (a handle that is not a live thread, joining
 * twice, a NULL object) returns an error code. Errors every call may return besides its own:
 *   EPERM   the caller is an OS thread that is not the scheduler's (where a call says it
 *           needs a green thread), or the library is disabled (GREENPATCH_DISABLE=1);
 *   EINVAL  a NULL object, or an argument out of range; also, as far as it can be seen, a
 *           destroyed one (its memory is freed: a destroyed object must not be used).
 *
 * Waits. Calls that may wait take a timeout in nanoseconds: GP_FOREVER waits as long as it
 * takes, 0 only tries (EAGAIN when it would have to wait), anything else fails with
 * ETIMEDOUT once that much time has passed. Every wait is also bounded by the calling green
 * thread's timeout scope (gp_timeout_push), and is a cancellation point: gp_kill and
 * pthread_cancel end the thread there. A waiting green thread lets the others run; an OS
 * thread the scheduler does not run (a worker of gp_offload, a thread such a thread started:
 * their pthread_create is glibc's) may use queues, events and semaphores too, and then
 * waits in the kernel.
 */
#ifndef GREENPATCH_H
#define GREENPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Timeouts, in nanoseconds. */
#define GP_FOREVER ((int64_t)-1)
#define GP_MSEC(ms) ((int64_t)(ms) * 1000000)
#define GP_SEC(s) ((int64_t)(s) * 1000000000)

/* ---- Green threads ---------------------------------------------------------------------- */

/* A green thread, by value. Handles are never reused: once a thread has been joined (or,
 * detached, has ended) every call given its handle returns ESRCH. id 0 is no thread. */
typedef struct {
    uint64_t id;
} gp_thread_t;

/* What gp_join reports for a thread that gp_kill or pthread_cancel ended (the same value as
 * PTHREAD_CANCELED). */
#define GP_KILLED ((void *)-1)

/* Starts fn(arg) as a new green thread. It runs when the caller next waits or yields;
 * threads spawned together start in spawn order. Stores its handle in *out (if not NULL; a
 * thread whose handle nobody keeps should be detached, or it stays until joined). Returns
 * 0, EAGAIN (out of memory or stacks), EPERM (not the scheduler's OS thread, or a signal
 * handler of it). */
int gp_spawn(gp_thread_t *out, void *(*fn)(void *), void *arg);

/* The same, but fn(arg) starts only once delay_ns nanoseconds have passed since the call
 * (a deferred task, eventlet.spawn_after); deferred tasks start in the order their delays
 * end. Until then the thread exists and has not started: gp_kill cancels it and fn never
 * runs (gp_join gives GP_KILLED). Returns as gp_spawn. */
int gp_spawn_after(gp_thread_t *out, uint64_t delay_ns, void *(*fn)(void *), void *arg);

/* Waits until t has finished and stores what fn returned (or gave pthread_exit, or
 * GP_KILLED) in *result (if not NULL); then t's handle is spent. Returns 0, EDEADLK (t is the
 * caller), ESRCH (no such thread: never was, already joined, detached and ended), EINVAL (t
 * is detached, or another thread is joining it), ETIMEDOUT (the timeout scope's deadline
 * passed), EPERM (the caller is not a green thread). */
int gp_join(gp_thread_t t, void **result);

/* Nobody will join t: its memory goes when it ends. Returns 0, ESRCH, EINVAL (already
 * detached, or another thread is joining it). */
int gp_detach(gp_thread_t t);

/* Ends t, as eventlet's kill: a thread that has not started (gp_spawn_after's delay, or
 * spawned and not yet run) never runs; one that waits in a cancellation point (a gp_ wait,
 * or under the preload a blocking libc call that is one: pthreads(7)) wakes there and exits,
 * running its cleanup handlers and C++ destructors, as under pthread_cancel; one that runs
 * without waiting exits at its next such wait. A thread that disabled cancellation
 * (pthread_setcancelstate) exits at its first cancellation point once it enables it again.
 * gp_join then gives GP_KILLED. gp_kill of the caller ends the caller at once (unless it
 * disabled cancellation). Returns 0 (also for a thread that had already ended, whose
 * result stays what it was), ESRCH. */
int gp_kill(gp_thread_t t);

/* The calling green thread; {0} when the caller is not one (before the scheduler started,
 * an OS thread other than the scheduler's, or GREENPATCH_DISABLE=1). */
gp_thread_t gp_self(void);

/* True when a and b are the same thread. */
static inline bool gp_equal(gp_thread_t a, gp_thread_t b) { return a.id == b.id; }

/* t's name (15 bytes at most, pthread_setname_np's limit; a new thread inherits its
 * creator's, as under the preload). gp_setname returns 0, ESRCH, ERANGE (too long);
 * gp_getname 0, ESRCH, ERANGE (len too small for the name and its NUL). */
int gp_setname(gp_thread_t t, const char *name);
int gp_getname(gp_thread_t t, char *buf, size_t len);

/* Lets every other runnable green thread run once, then returns. */
void gp_yield(void);

/* Sleeps for nsec nanoseconds while other green threads run (gp_sleep(0) lets every other
 * runnable green thread run once, as gp_yield, and is a cancellation point). Returns 0, or
 * ETIMEDOUT when the timeout scope's deadline came first (the sleep is cut short there).
 * Not a green thread: sleeps the calling OS thread. */
int gp_sleep(uint64_t nsec);

/* ---- Timeouts: with eventlet.Timeout(...) ------------------------------------------------ */

/* Opens a timeout scope on the calling green thread: until the matching gp_timeout_pop,
 * every wait that would last beyond now + nsec fails when the deadline comes, whether it is
 * an explicit gp_ call (ETIMEDOUT) or an intercepted blocking libc call (under the preload,
 * or linked with -lgreenpatch): calls that fail with errno fail with ETIMEDOUT (pthread
 * functions return it; sleep, usleep, nanosleep and clock_nanosleep too); poll, ppoll,
 * select, pselect and epoll_wait return 0, their own timeout result; sleep returns the
 * seconds left. A call whose own timeout (SO_RCVTIMEO, a timed wait's) comes first keeps
 * its own result. Once the deadline has passed, every wait in the scope fails at once, and
 * still gives the other green threads a turn: code that retries in a loop must look for
 * ETIMEDOUT, but freezes no one meanwhile. Scopes nest (GP_TIMEOUT_DEPTH deep); an inner
 * scope never extends an outer one's deadline.
 * Not cut short, because their callers cannot fail safely: locks and semaphores taken
 * without a timeout (pthread_mutex_lock, mtx_lock, pthread_rwlock_rdlock/wrlock, sem_wait:
 * their callers seldom look at the result, and would go on unlocked; their timed forms are
 * cut short), flockfile and stdio's FILE locks, pthread_once waiting for another thread's
 * init routine, pthread_barrier_wait, the relock of the mutex at the end of a condition
 * wait, system and pclose waiting for their child, and futex waits without a timeout of
 * syscall(SYS_futex) (other libraries' lock loops). A thread that ends (return,
 * pthread_exit, gp_kill) closes its scopes first: its cleanup handlers and destructors wait
 * as long as they need. exit() and fork() do not: the atexit and fork handlers they run
 * are under the caller's scopes, so close them before. Calls that run on a real worker
 * thread (regular-file I/O, name resolution, file locks, tcdrain, System V IPC,
 * gp_offload) finish, and the deadline applies from the next wait on; aio_suspend and a
 * process-shared semaphore's timed wait end on the worker at the deadline. The first push
 * when no green thread exists yet makes the caller's OS thread the scheduler's, as
 * gp_spawn does. Returns 0, EOVERFLOW (too deeply nested), EPERM (not a green thread:
 * another OS thread than the scheduler's, a signal handler run at once, or the library
 * disabled). */
int gp_timeout_push(uint64_t nsec);

/* Closes the innermost scope. Returns 0 when its deadline had not passed, ETIMEDOUT when it
 * had (whether or not a wait noticed; with nested scopes, the deadline that was in force,
 * an outer one's when that came first), EINVAL when no scope is open (also for a caller
 * that is no green thread). */
int gp_timeout_pop(void);

/* Nanoseconds left before the calling green thread's nearest deadline: 0 once it has
 * passed, GP_FOREVER when no scope is open. */
int64_t gp_timeout_left(void);

#define GP_TIMEOUT_DEPTH 8

/* A scope closed by the block that declares it, however the block is left (return, break,
 * goto):  { GP_TIMEOUT_SCOPE(GP_SEC(5)); ... }  (GNU C: gcc and clang). A push that failed
 * (EOVERFLOW, EPERM) opened nothing, and nothing is closed. */
void gp_timeout_scope_end(int *pushed);
#define GP_TIMEOUT_SCOPE(nsec)                                                                \
    int GP__TIMEOUT_NAME(__LINE__) __attribute__((cleanup(gp_timeout_scope_end), unused)) =   \
        gp_timeout_push(nsec)
#define GP__TIMEOUT_NAME(line) GP__TIMEOUT_JOIN(gp__timeout_scope_, line)
#define GP__TIMEOUT_JOIN(a, b) a##b

/* ---- Pools: eventlet.GreenPool and GreenPile --------------------------------------------- */

/* A pool of at most size green threads running at once. */
typedef struct gp_pool gp_pool_t;

/* Returns 0, EINVAL (size 0), ENOMEM. */
int gp_pool_create(gp_pool_t **out, size_t size);

/* Starts fn(arg) in the pool, first waiting (as long as timeout_ns allows) while size of
 * its threads run. The pool owns the thread: its result is dropped, and gp_pool_waitall
 * waits for it. Returns 0, EAGAIN (full, with timeout 0, or no memory), ETIMEDOUT, EPERM. */
int gp_pool_spawn(gp_pool_t *pool, void *(*fn)(void *), void *arg, int64_t timeout_ns);

/* Waits until none of the pool's threads runs. Returns 0, ETIMEDOUT, EDEADLK (the caller
 * is one of them), EPERM. */
int gp_pool_waitall(gp_pool_t *pool, int64_t timeout_ns);

/* How many of the pool's threads run now, and how many more could start without waiting. */
size_t gp_pool_running(const gp_pool_t *pool);
size_t gp_pool_free(const gp_pool_t *pool);

/* Frees an idle pool. Returns 0, EBUSY (threads still run in it or wait for it, or a pile
 * made on it is not destroyed yet). */
int gp_pool_destroy(gp_pool_t *pool);

/* Results in submission order: spawn several calls, then take their results one by one in
 * the order they were spawned, each as soon as it is ready (eventlet.GreenPile). */
typedef struct gp_pile gp_pile_t;

/* A pile whose threads run in pool (at most its size at once), or without a limit when
 * pool is NULL. The pool must outlive the pile. Returns 0, ENOMEM. */
int gp_pile_create(gp_pile_t **out, gp_pool_t *pool);

/* Starts fn(arg) for the pile (waiting for room in its pool as gp_pool_spawn does).
 * Returns as gp_pool_spawn. */
int gp_pile_spawn(gp_pile_t *pile, void *(*fn)(void *), void *arg, int64_t timeout_ns);

/* Waits for the oldest result not yet taken and stores it in *result (if not NULL).
 * Returns 0, ENOENT (every result spawned so far has been taken), ETIMEDOUT, EAGAIN,
 * EDEADLK (the oldest call is the caller itself), EPERM. A call that was killed gives
 * GP_KILLED. */
int gp_pile_next(gp_pile_t *pile, void **result, int64_t timeout_ns);

/* Frees a pile once none of its calls runs. Returns 0, EBUSY (a call still runs, or a
 * thread waits in gp_pile_next or for room in gp_pile_spawn). Results not taken are
 * dropped. */
int gp_pile_destroy(gp_pile_t *pile);

/* ---- Queues, events, semaphores ---------------------------------------------------------
 * Safe from every green thread and from any OS thread: a wake from another OS thread (a
 * gp_offload worker, or a thread it started) reaches green waiters through the hub.
 * They need no scheduler and never return EPERM: an OS thread that is not a green thread
 * (main before the first gp_spawn, a gp_offload worker, any thread with
 * GREENPATCH_DISABLE=1) waits in the kernel, and there a cancellation request does not end
 * the wait (it acts at the thread's next cancellation point). Waiters are served oldest
 * first, green or not: what a put, send or release gives is handed to the waiter it wakes,
 * and a thread that comes along meanwhile cannot take it. A wait that was handed what it
 * waited for succeeds, even when its deadline or a cancellation request came at the same
 * moment (the request then acts at the next cancellation point). A negative timeout other
 * than GP_FOREVER is EINVAL. Not async-signal-safe: not for signal handlers. Destroying
 * one says EBUSY while a thread waits on it, counting the waiters a put, send or release
 * just woke until they have run (a green thread that sends and then destroys yields
 * first). A fork child must not use an object that another thread of the parent waited
 * on at the fork: that waiter does not exist in the child. */

/* A first-in first-out queue of pointers, bounded (capacity items) or not (capacity 0). */
typedef struct gp_queue gp_queue_t;

/* Returns 0, ENOMEM, EINVAL (out is NULL). */
int gp_queue_create(gp_queue_t **out, size_t capacity);

/* Appends item, waiting for room in a full bounded queue. Returns 0, EAGAIN (full, timeout
 * 0; or no memory), ETIMEDOUT, EPIPE (the queue is closed, before or during the wait). */
int gp_queue_put(gp_queue_t *q, void *item, int64_t timeout_ns);

/* Takes the oldest item into *item, waiting while the queue is empty. Returns 0, EAGAIN
 * (empty, timeout 0), ETIMEDOUT, EPIPE (closed and empty: what was put before the close is
 * still taken first), EINVAL (item is NULL). */
int gp_queue_get(gp_queue_t *q, void **item, int64_t timeout_ns);

/* No more puts: waiting putters fail with EPIPE, and getters once the queue is empty.
 * Returns 0, EPIPE (already closed). */
int gp_queue_close(gp_queue_t *q);

/* How many items it holds now (0 for a NULL or destroyed queue). */
size_t gp_queue_len(const gp_queue_t *q);

/* Frees q and the pointers' slots (not what they point to). Returns 0, EBUSY (a thread
 * waits on it). */
int gp_queue_destroy(gp_queue_t *q);

/* A one-shot event that carries a value: any number of threads wait until it is sent
 * (eventlet.event.Event). */
typedef struct gp_event gp_event_t;

/* Returns 0, ENOMEM, EINVAL (out is NULL). */
int gp_event_create(gp_event_t **out);

/* Sends value and wakes every waiter. Returns 0, EALREADY (sent before, and not reset). */
int gp_event_send(gp_event_t *e, void *value);

/* Waits until e is sent and stores its value in *value (if not NULL); returns at once when
 * it was sent already. Returns 0, EAGAIN (not sent, timeout 0), ETIMEDOUT. */
int gp_event_wait(gp_event_t *e, void **value, int64_t timeout_ns);

/* True once it was sent (and not reset). */
bool gp_event_ready(const gp_event_t *e);

/* Makes a sent event unsent again, for another round. Returns 0, EINVAL (not sent). */
int gp_event_reset(gp_event_t *e);

/* Returns 0, EBUSY (a thread waits on it). */
int gp_event_destroy(gp_event_t *e);

/* A counting semaphore; with a limit, a bounded one (eventlet.semaphore.BoundedSemaphore). */
typedef struct gp_sem gp_sem_t;

/* value: the initial count; limit: the most it may reach (0: no limit). Returns 0, EINVAL
 * (value above a limit, or out is NULL), ENOMEM. */
int gp_sem_create(gp_sem_t **out, unsigned value, unsigned limit);

/* Takes one, waiting while the count is 0. Returns 0, EAGAIN (0, timeout 0), ETIMEDOUT. */
int gp_sem_acquire(gp_sem_t *s, int64_t timeout_ns);

/* Gives one back, waking the oldest waiter. Returns 0, EOVERFLOW (it would pass the limit,
 * or UINT_MAX). */
int gp_sem_release(gp_sem_t *s);

/* The count now (0 for a NULL or destroyed semaphore; 0 too while threads wait). */
unsigned gp_sem_value(const gp_sem_t *s);

/* Returns 0, EBUSY (a thread waits on it). */
int gp_sem_destroy(gp_sem_t *s);

/* ---- Offload: eventlet.tpool -------------------------------------------------------------- */

/* Runs fn(arg) on a real worker thread of the pool (GREENPATCH_POOL_SIZE threads at most,
 * started as needed) while the calling green thread waits and the others run: for a long
 * computation, or a call that blocks and cannot be made cooperative. Stores what fn returned
 * in *result (if not NULL) and returns 0. fn runs on another OS thread: it must not use the
 * calling thread's thread-local data, and the green threads' locks do not make it wait
 * cooperatively (queues, events and semaphores do work from it). The wait is not cut short
 * by gp_kill or a timeout scope (fn has the caller's data); they act once fn has returned.
 * Called by anything but a green thread, fn simply runs on the caller. */
int gp_offload(void *(*fn)(void *), void *arg, void **result);

#ifdef __cplusplus
}
#endif

#endif
