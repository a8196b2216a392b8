/* Cleanup handlers and thread-specific data destructors when threads end.
 *
 *  - pthread_exit from a nested call runs the pushed handlers innermost first, then the
 *    destructors, and join returns the value; a handler popped with execute runs then and
 *    not again; returning from the start routine runs no handler but the destructors;
 *  - two threads whose handlers sleep (so that the threads take turns while they unwind)
 *    each run their own handlers, in their own order;
 *  - pthread_cleanup_push_defer_np makes cancellation deferred while the handler is pushed;
 *  - _pthread_cleanup_push, the old protocol of binaries built before glibc 2.3.3;
 *  - main pushes a handler before the first pthread_create and one after, sets a value of
 *    a key, and calls pthread_exit: both handlers run, then the destructor, and a thread that
 *    joins main sees it end; the process ends with status 0 when that thread returns.
 * Built twice: plainly (the __sigsetjmp protocol) and with -fexceptions (thr_cleanup_eh:
 * cleanup attributes run by the unwinder). Both must print the same. */
#include "thread_prog.h"

#include <stdint.h>
#include <unistd.h>

static pthread_key_t key;

static void destructor(void *value) { printf("  destructor: %s\n", (const char *)value); }

static void say(void *text) { printf("  handler: %s\n", (const char *)text); }

static __attribute__((noinline)) void exit_from_below(void)
{
    pthread_cleanup_push(say, "4 (pushed in a called function)");
    report_os_threads("exiting-thread");
    pthread_exit((void *)42);
    pthread_cleanup_pop(0);
}

static void *exits_with_handlers(void *arg)
{
    (void)arg;
    pthread_setspecific(key, "value of the exiting thread");
    pthread_cleanup_push(say, "1 (outermost)");
    pthread_cleanup_push(say, "2");
    pthread_cleanup_push(say, "3 (popped with execute)");
    pthread_cleanup_pop(1);
    exit_from_below();
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *returns_normally(void *arg)
{
    (void)arg;
    pthread_setspecific(key, "value of the returning thread");
    pthread_cleanup_push(say, "never (popped without execute)");
    pthread_cleanup_pop(0);
    return (void *)7;
}

/* Each thread logs its own handlers; they sleep, so the two threads unwind in turns. */
struct turn_log {
    char text[64];
};

struct turn_step {
    struct turn_log *log;
    const char *mark;
};

static void log_after_sleep(void *p)
{
    struct turn_step *s = p;
    usleep(2000);
    strcat(s->log->text, s->mark);
}

static void *unwinds_in_turns(void *arg)
{
    struct turn_log *log = arg;
    struct turn_step a = {log, "a"}, b = {log, "b"}, c = {log, "c"};
    pthread_cleanup_push(log_after_sleep, &a);
    pthread_cleanup_push(log_after_sleep, &b);
    pthread_cleanup_push(log_after_sleep, &c);
    pthread_exit(log);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void report_type(void *when)
{
    int type;
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
    pthread_setcanceltype(type, NULL);
    printf("  %s: %s\n", (const char *)when,
           type == PTHREAD_CANCEL_DEFERRED ? "deferred" : "asynchronous");
}

static void *defers(void *arg)
{
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    pthread_cleanup_push_defer_np(report_type, "type inside push_defer_np");
    report_type("type while pushed");
    pthread_cleanup_pop_restore_np(1);
    report_type("type after pop_restore_np");
    return NULL;
}

/* What pthread.h's macros called before glibc 2.3.3; still exported by glibc. */
void _pthread_cleanup_push(struct _pthread_cleanup_buffer *buffer, void (*routine)(void *),
                           void *arg);
void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *buffer, int execute);

static void *old_protocol(void *arg)
{
    (void)arg;
    struct _pthread_cleanup_buffer outer, inner, popped;
    _pthread_cleanup_push(&outer, say, "old protocol, outer");
    _pthread_cleanup_push(&inner, say, "old protocol, inner");
    _pthread_cleanup_push(&popped, say, "old protocol, popped with execute");
    _pthread_cleanup_pop(&popped, 1);
    pthread_exit(NULL);
}

static pthread_t main_thread;

static void *joins_main(void *arg)
{
    (void)arg;
    void *value;
    int r = pthread_join(main_thread, &value);
    printf("a thread joins main: %s, value right: %s\n", error_name(r), yes_no(value == (void *)99));
    return NULL;
}

static void announce_exit(void) { printf("atexit handler ran\n"); }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(10);
    printf("thr_cleanup start\n");
    must_succeed(pthread_key_create(&key, destructor), "pthread_key_create");
    main_thread = pthread_self();
    atexit(announce_exit);

    pthread_cleanup_push(say, "main's, pushed before the first thread");

    printf("pthread_exit from a called function:\n");
    void *value = join_or_die(start_thread(NULL, exits_with_handlers, NULL));
    printf("join: %s\n", value == (void *)42 ? "the value given to pthread_exit" : "WRONG");

    printf("return from the start routine:\n");
    value = join_or_die(start_thread(NULL, returns_normally, NULL));
    printf("join: %s\n", value == (void *)7 ? "the value returned" : "WRONG");

    struct turn_log logs[2] = {{""}, {""}};
    pthread_t turns[2];
    for (int i = 0; i < 2; i++)
        turns[i] = start_thread(NULL, unwinds_in_turns, &logs[i]);
    for (int i = 0; i < 2; i++) {
        struct turn_log *log = join_or_die(turns[i]);
        printf("sleeping handlers of thread %d ran as: %s, join value right: %s\n", i,
               logs[i].text, yes_no(log == &logs[i]));
    }

    printf("push_defer_np:\n");
    join_or_die(start_thread(NULL, defers, NULL));

    printf("old protocol and pthread_exit:\n");
    join_or_die(start_thread(NULL, old_protocol, NULL));

    pthread_cleanup_push(say, "main's, pushed after");
    pthread_setspecific(key, "main's value");
    start_thread(NULL, joins_main, NULL);
    printf("main calls pthread_exit:\n");
    pthread_exit((void *)99);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
}
