/* Thread-specific data: every thread sees its own values, keys made before and after the
 * first thread alike, and the destructors run at thread exit as glibc runs them.
 *
 *  - a key made before any thread (main sets a value then) and one made after the first
 *    thread started, by that thread; a new thread starts with NULL everywhere and its values
 *    do not touch main's; glibc's own pthread_getspecific (looked up in libc itself, as
 *    code inside libc would reach it) sees main's values as main does;
 *  - destructors, in key order: only for non-NULL values, each value's slot already NULL
 *    when its destructor runs; one destructor stores a value in another key (a second
 *    round), one stores its own value again each time (called until
 *    PTHREAD_DESTRUCTOR_ITERATIONS rounds are done);
 *  - a deleted key: its value reads NULL, its destructor is not called, setspecific says
 *    EINVAL; keys past the first 32 (glibc's second-level blocks); EAGAIN at the limit;
 *  - destructors that sleep, in two threads exiting together;
 *  - C11 tss_create, tss_set, tss_get, tss_delete. */
#include "thread_prog.h"
#include "thr_steps.h"

#include <dlfcn.h>
#include <stdint.h>
#include <threads.h>
#include <unistd.h>

static pthread_key_t before, after, chain_to, chain_from, again, nulled, doomed;

static const char *show(const void *value) { return value ? (const char *)value : "NULL"; }

static void destroy_plain(void *value) { printf("  destructor: %s\n", (const char *)value); }

static void destroy_chain_from(void *value)
{
    printf("  destructor: %s (own slot NULL: %s), stores a value in another key\n",
           (const char *)value, yes_no(pthread_getspecific(chain_from) == NULL));
    pthread_setspecific(chain_to, "set by a destructor");
}

static int again_calls;
static void destroy_again(void *value)
{
    again_calls++;
    printf("  destructor: %s, call %d, stores its value again\n", (const char *)value, again_calls);
    pthread_setspecific(again, value);
}

static void destroy_never(void *value) { printf("  WRONG destructor call: %s\n", (const char *)value); }

static void *(*glibc_getspecific)(pthread_key_t);

static void *first_thread(void *arg)
{
    (void)arg;
    printf("first thread: key made before: %s\n", show(pthread_getspecific(before)));
    must_succeed(pthread_key_create(&after, destroy_plain), "pthread_key_create");
    pthread_setspecific(before, "first thread's value of the key made before");
    pthread_setspecific(after, "first thread's value of the key made after");
    printf("first thread: %s; %s\n", show(pthread_getspecific(before)),
           show(pthread_getspecific(after)));
    set_step(1);
    wait_step(2);
    printf("first thread: still %s\n", show(pthread_getspecific(before)));
    return NULL;
}

static void *rounds_thread(void *arg)
{
    (void)arg;
    pthread_setspecific(nulled, "soon NULL");
    pthread_setspecific(nulled, NULL);
    pthread_setspecific(chain_from, "value of chain_from");
    pthread_setspecific(again, "value of again");
    pthread_setspecific(after, "rounds thread's value of the key made after");
    printf("rounds thread ends:\n");
    return NULL;
}

static void *deleted_key_thread(void *arg)
{
    (void)arg;
    pthread_setspecific(doomed, "value of a key about to be deleted");
    set_step(3);
    wait_step(4);
    printf("after pthread_key_delete: getspecific: %s, setspecific: %s\n",
           show(pthread_getspecific(doomed)), error_name(pthread_setspecific(doomed, "x")));
    return NULL;
}

enum { MANY = 40 };
static pthread_key_t many[MANY];
static int many_destroyed;
static void count_destroyed(void *value) { many_destroyed += value == &many_destroyed; }

static void *many_keys_thread(void *arg)
{
    (void)arg;
    bool all = true;
    for (int i = 0; i < MANY; i++)
        all &= pthread_setspecific(many[i], &many_destroyed) == 0;
    for (int i = 0; i < MANY; i++)
        all &= pthread_getspecific(many[i]) == &many_destroyed;
    printf("%d keys set and read back: %s\n", MANY, yes_no(all));
    return NULL;
}

/* Each thread's destructors log into the thread's own string, sleeping first. */
static pthread_key_t log_a, log_b;
static void log_after_sleep(void *log)
{
    usleep(2000);
    strcat(log, pthread_getspecific(log_b) ? "?" : "x");
}

static void *sleepy_destructors(void *log)
{
    pthread_setspecific(log_a, log);
    pthread_setspecific(log_b, log);
    return NULL;
}

static tss_t tss;
static void tss_destroy(void *value) { printf("  tss destructor: %s\n", (const char *)value); }

static void *tss_thread(void *arg)
{
    (void)arg;
    printf("tss thread: tss_get before tss_set: %s\n", show(tss_get(tss)));
    printf("tss thread: tss_set: %s\n",
           tss_set(tss, "tss value") == thrd_success ? "thrd_success" : "WRONG");
    printf("tss thread: tss_get: %s\n", show(tss_get(tss)));
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(10);
    printf("thr_keys start\n");
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    *(void **)&glibc_getspecific = libc ? dlvsym(libc, "pthread_getspecific", "GLIBC_2.34") : NULL;
    must_succeed(glibc_getspecific ? 0 : ENOENT, "dlvsym pthread_getspecific");

    must_succeed(pthread_key_create(&before, destroy_plain), "pthread_key_create");
    pthread_setspecific(before, "main's value");

    pthread_t first = start_thread(NULL, first_thread, NULL);
    wait_step(1);
    report_os_threads("first-alive");
    printf("main: %s; key made after: %s\n", show(pthread_getspecific(before)),
           show(pthread_getspecific(after)));
    pthread_setspecific(after, "main's value of the key made after");
    printf("main through glibc's own function: %s; %s\n", show(glibc_getspecific(before)),
           show(glibc_getspecific(after)));
    printf("first thread ends:\n");
    set_step(2);
    join_or_die(first);

    /* chain_to comes first: the value stored into it by chain_from's destructor is found in
     * the second round. */
    must_succeed(pthread_key_create(&chain_to, destroy_plain), "pthread_key_create");
    must_succeed(pthread_key_create(&chain_from, destroy_chain_from), "pthread_key_create");
    must_succeed(pthread_key_create(&again, destroy_again), "pthread_key_create");
    must_succeed(pthread_key_create(&nulled, destroy_never), "pthread_key_create");
    join_or_die(start_thread(NULL, rounds_thread, NULL));
    printf("PTHREAD_DESTRUCTOR_ITERATIONS: %d, calls of the one that stores again: %d\n",
           PTHREAD_DESTRUCTOR_ITERATIONS, again_calls);

    must_succeed(pthread_key_create(&doomed, destroy_never), "pthread_key_create");
    pthread_t deleted = start_thread(NULL, deleted_key_thread, NULL);
    wait_step(3);
    int first_delete = pthread_key_delete(doomed);
    printf("pthread_key_delete: %s, again: %s\n", error_name(first_delete),
           error_name(pthread_key_delete(doomed)));
    set_step(4);
    join_or_die(deleted);
    printf("setspecific on key %d: %s, getspecific on key 5000: %s\n", PTHREAD_KEYS_MAX,
           error_name(pthread_setspecific(PTHREAD_KEYS_MAX, "x")), show(pthread_getspecific(5000)));

    for (int i = 0; i < MANY; i++)
        must_succeed(pthread_key_create(&many[i], count_destroyed), "pthread_key_create");
    join_or_die(start_thread(NULL, many_keys_thread, NULL));
    printf("their destructors ran: %d\n", many_destroyed);

    pthread_key_t extra[PTHREAD_KEYS_MAX];
    int made = 0, r;
    while ((r = pthread_key_create(&extra[made], NULL)) == 0)
        made++;
    printf("pthread_key_create past the limit: %s, below %d keys: %s\n", error_name(r),
           PTHREAD_KEYS_MAX, yes_no(made < PTHREAD_KEYS_MAX));
    while (made > 0)
        pthread_key_delete(extra[--made]);

    must_succeed(pthread_key_create(&log_a, log_after_sleep), "pthread_key_create");
    must_succeed(pthread_key_create(&log_b, log_after_sleep), "pthread_key_create");
    char logs[2][8] = {"", ""};
    pthread_t sleepy[2];
    for (int i = 0; i < 2; i++)
        sleepy[i] = start_thread(NULL, sleepy_destructors, logs[i]);
    for (int i = 0; i < 2; i++)
        join_or_die(sleepy[i]);
    printf("sleeping destructors of each thread: %s %s\n", logs[0], logs[1]);

    printf("tss_create: %s\n", tss_create(&tss, tss_destroy) == thrd_success ? "thrd_success" : "WRONG");
    tss_set(tss, "main's tss value");
    join_or_die(start_thread(NULL, tss_thread, NULL));
    printf("main: tss_get: %s\n", show(tss_get(tss)));
    tss_delete(tss);
    printf("thr_keys done\n");
    return 0;
}
