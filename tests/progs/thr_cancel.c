/* Deferred cancellation: a thread blocked in a cancellation point is cancelled there, its
 * cleanup handlers run, then its thread-specific data destructor, and pthread_join returns
 * PTHREAD_CANCELED; the call never returns to the thread.
 *
 * The blocking calls: sleep, usleep, nanosleep, clock_nanosleep, read and write on a pipe,
 * recv and send on a socket pair, accept, pthread_cond_wait and pthread_cond_timedwait
 * (the handler must find the mutex locked again), pthread_join. Then the state and type
 * rules: a request made while cancellation is disabled waits until it is enabled and a
 * cancellation point comes; pthread_testcancel; a thread that cancels itself with deferred
 * and with asynchronous cancellation; enabling cancellation with the asynchronous type and
 * a request pending; cancelling a thread that has already ended; and last, the main thread
 * cancelled by another while it sleeps: its handler runs, the other thread joins it, and
 * the process ends with status 0 when that thread returns.
 *
 * The canceller waits until the target has announced that it is about to block, and a
 * little more, so that natively the target is inside the call; if it were not yet, the
 * call would act on the request at its start: the output is the same either way. */
#include "thr_cancel.h"

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_key_t key;

static void destructor(void *value) { printf("  destructor: %s\n", (const char *)value); }

/* For threads that end with the asynchronous type still set: natively glibc 2.36 can hang
 * when a handler then makes a cancellation point's call (printf's write), so the handler
 * only notes that it ran, and the joiner prints. */
static const char *async_handler_ran;
static void note_handler(void *what) { async_handler_ran = what; }

static int fds[2];
static int listener;
static pthread_mutex_t cond_lock;
static pthread_cond_t never;

static void block_sleep(void) { sleep(10); }
static void block_usleep(void) { usleep(10000000); }
static void block_nanosleep(void)
{
    struct timespec ten = {.tv_sec = 10};
    nanosleep(&ten, NULL);
}
static void block_clock_nanosleep(void)
{
    struct timespec ten = {.tv_sec = 10};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ten, NULL);
}
static void block_read(void)
{
    char c;
    read(fds[0], &c, 1);
}
static void block_recv(void)
{
    char c;
    recv(fds[0], &c, 1, 0);
}
static void block_accept(void) { accept(listener, NULL, NULL); }

static void block_write(void)
{
    fill(fds[1]);
    write(fds[1], "x", 1);
}
static void block_send(void)
{
    fill(fds[1]);
    send(fds[1], "x", 1, 0);
}

/* The handler of a cancelled condition wait finds the mutex locked by its thread. */
static void unlock_in_handler(void *p)
{
    int r = pthread_mutex_unlock(p);
    printf("  cleanup handler: unlocks the mutex: %s\n", error_name(r));
}

static void wait_on_cond(bool timed)
{
    pthread_mutex_lock(&cond_lock);
    pthread_cleanup_push(unlock_in_handler, &cond_lock);
    struct timespec at = deadline_in(CLOCK_REALTIME, 10000);
    if (timed)
        pthread_cond_timedwait(&never, &cond_lock, &at);
    else
        pthread_cond_wait(&never, &cond_lock);
    pthread_cleanup_pop(1);
}
static void block_cond_wait(void) { wait_on_cond(false); }
static void block_cond_timedwait(void) { wait_on_cond(true); }

static pthread_t sleeper;
static void *sleep_long(void *arg)
{
    (void)arg;
    sleep(10);
    return NULL;
}
static void block_join(void) { pthread_join(sleeper, NULL); }

/* Each target's thread-specific value: its destructor runs after the cleanup handlers. */
static void set_value(const struct target *t) { pthread_setspecific(key, (void *)t->name); }

/* Cancellation disabled while the request comes: the sleep completes, enabling does not
 * act (deferred), the next cancellation point does. */
static void *disables(void *arg)
{
    (void)arg;
    pthread_cleanup_push(handler, "disabled, then testcancel");
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    printf("  state was: %s\n", old == PTHREAD_CANCEL_ENABLE ? "enabled" : "disabled");
    announce_ready();
    int r = usleep(100000);
    printf("  usleep while disabled: %s\n", error_name(r ? errno : 0));
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    printf("  enabled again (state was %s); pthread_testcancel next\n",
           old == PTHREAD_CANCEL_DISABLE ? "disabled" : "enabled");
    pthread_testcancel();
    printf("  testcancel RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void *cancels_itself_deferred(void *arg)
{
    (void)arg;
    pthread_cleanup_push(handler, "cancelled itself, deferred");
    int r = pthread_cancel(pthread_self());
    printf("  pthread_cancel(pthread_self()): %s, still running\n", error_name(r));
    usleep(1000);
    printf("  usleep RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void *cancels_itself_async(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note_handler, "cancelled itself, asynchronous");
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    printf("  type was: %s\n", old == PTHREAD_CANCEL_DEFERRED ? "deferred" : "asynchronous");
    pthread_cancel(pthread_self());
    printf("  pthread_cancel RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

/* Asynchronous type set while disabled with a request pending: enabling acts at once. */
static void *enables_async(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note_handler, "enabled with the asynchronous type");
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    wait_step(announce_ready() + 1); /* the request has been made */
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    printf("  asynchronous while disabled: not cancelled yet\n");
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    printf("  setcancelstate RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void *returns_at_once(void *arg) { return arg; }

static pthread_t main_thread;

static void *cancels_main(void *arg)
{
    (void)arg;
    await_ready();
    pthread_cancel(main_thread);
    void *value;
    int r = pthread_join(main_thread, &value);
    printf("a thread joins the cancelled main: %s, %s\n", error_name(r),
           value == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");
    return NULL;
}

static void announce_exit(void) { printf("atexit handler ran\n"); }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(20);
    printf("thr_cancel start\n");
    main_thread = pthread_self();
    atexit(announce_exit);
    must_succeed(pthread_key_create(&key, destructor), "pthread_key_create");
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&cond_lock, &ma);
    pthread_cond_init(&never, NULL);
    target_setup = set_value;

    static const struct target sleeps[] = {
        {"sleep", block_sleep},
        {"usleep", block_usleep},
        {"nanosleep", block_nanosleep},
        {"clock_nanosleep", block_clock_nanosleep},
    };
    for (size_t i = 0; i < sizeof sleeps / sizeof sleeps[0]; i++)
        cancel_blocked(&sleeps[i]);

    must_succeed(pipe(fds) ? errno : 0, "pipe");
    cancel_blocked(&(struct target){"read", block_read});
    cancel_blocked(&(struct target){"write to a full pipe", block_write});
    close(fds[0]);
    close(fds[1]);
    must_succeed(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) ? errno : 0, "socketpair");
    cancel_blocked(&(struct target){"recv", block_recv});
    cancel_blocked(&(struct target){"send to a full socket", block_send});
    close(fds[0]);
    close(fds[1]);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    must_succeed(bind(listener, (struct sockaddr *)&addr, sizeof addr) ? errno : 0, "bind");
    must_succeed(listen(listener, 1) ? errno : 0, "listen");
    cancel_blocked(&(struct target){"accept", block_accept});
    close(listener);

    cancel_blocked(&(struct target){"pthread_cond_wait", block_cond_wait});
    cancel_blocked(&(struct target){"pthread_cond_timedwait", block_cond_timedwait});
    printf("the mutex is free after: %s\n", error_name(pthread_mutex_trylock(&cond_lock)));
    pthread_mutex_unlock(&cond_lock);

    sleeper = start_thread(NULL, sleep_long, NULL);
    cancel_blocked(&(struct target){"pthread_join", block_join});
    pthread_cancel(sleeper);
    void *value = join_or_die(sleeper);
    printf("the thread it joined is still joinable: %s\n", yes_no(value == PTHREAD_CANCELED));

    printf("cancellation disabled while the request comes:\n");
    pthread_t th = start_thread(NULL, disables, NULL);
    await_ready();
    pthread_cancel(th);
    printf("  join: %s\n", join_or_die(th) == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");

    printf("a thread cancels itself (deferred):\n");
    value = join_or_die(start_thread(NULL, cancels_itself_deferred, NULL));
    printf("  join: %s\n", value == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");

    printf("a thread cancels itself (asynchronous):\n");
    value = join_or_die(start_thread(NULL, cancels_itself_async, NULL));
    printf("  cleanup handler: %s\n", async_handler_ran);
    printf("  join: %s\n", value == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");

    printf("the asynchronous type set while disabled, then enabled:\n");
    th = start_thread(NULL, enables_async, NULL);
    await_ready();
    pthread_cancel(th);
    go_on();
    value = join_or_die(th);
    printf("  cleanup handler: %s\n", async_handler_ran);
    printf("  join: %s\n", value == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");

    th = start_thread(NULL, returns_at_once, (void *)5);
    usleep(20000);
    int r = pthread_cancel(th);
    value = join_or_die(th);
    printf("cancel a thread that has ended: %s, join: %s\n", error_name(r),
           value == (void *)5 ? "its own value" : "WRONG");

    printf("main is cancelled while it sleeps:\n");
    start_thread(NULL, cancels_main, NULL);
    pthread_cleanup_push(handler, "main's");
    announce_ready();
    sleep(10);
    printf("main's sleep RETURNED\n");
    pthread_cleanup_pop(0);
    return 1;
}
