/* The explicit API's green threads, pools and piles from a program linked with
 * -lgreenpatch, mixed with threads the program makes with pthread_create (green threads
 * too: the library's pthread_create comes first, linked or preloaded): deferred tasks in
 * delay order, kills (before the start, of a sleeper, of a pthread thread blocked in a
 * libc call, which runs its cleanup handler), a pthread thread's gp_self joined by a green
 * thread, names seen by pthread_getname_np, a pool's limit and a pile's order, and the
 * error codes of misuse. Every line is fixed by the scheduler's order, not by timing. */
#include "greenpatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char order[32];
static size_t order_len;

static void *note(void *arg)
{
    order[order_len++] = *(const char *)arg;
    return (void *)arg;
}

static const char abc[] = "abc";

static const char *yes(bool b) { return b ? "yes" : "no"; }

static void deferred_tasks(void)
{
    gp_thread_t t[3], killed;
    const uint64_t delays[3] = {GP_MSEC(30), GP_MSEC(10), GP_MSEC(20)};
    for (int i = 0; i < 3; i++)
        if (gp_spawn_after(&t[i], delays[i], note, (void *)(abc + i)))
            exit(1);
    if (gp_spawn_after(&killed, GP_MSEC(5), note, (void *)"k") || gp_kill(killed))
        exit(1);
    void *r[3], *kr;
    for (int i = 0; i < 3; i++)
        gp_join(t[i], &r[i]);
    gp_join(killed, &kr);
    order[order_len] = '\0';
    printf("deferred tasks ran in delay order: %s, each gave its result: %s\n", order,
           yes(r[0] == abc && r[1] == abc + 1 && r[2] == abc + 2));
    printf("a deferred task killed during its delay: killed %s\n", yes(kr == GP_KILLED));
}

static int cleanups;

static void count_cleanup(void *arg)
{
    (void)arg;
    cleanups++;
}

static gp_thread_t reader_handle;

/* A pthread thread that blocks in read() on an empty pipe, a cancellation point. */
static void *read_forever(void *arg)
{
    int fd = *(int *)arg;
    reader_handle = gp_self();
    char c;
    pthread_cleanup_push(count_cleanup, NULL);
    if (read(fd, &c, 1) >= 0)
        printf("read returned\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void *sleep_long(void *arg)
{
    pthread_cleanup_push(count_cleanup, NULL);
    gp_sleep(GP_SEC(10));
    pthread_cleanup_pop(0);
    return arg;
}

static void kills(void)
{
    gp_thread_t sleeper, unborn;
    if (gp_spawn(&sleeper, sleep_long, NULL) || gp_spawn(&unborn, note, (void *)"u"))
        exit(1);
    gp_kill(unborn);
    gp_yield();
    printf("kill of a sleeping green thread: %d", gp_kill(sleeper));
    void *r1, *r2;
    gp_join(sleeper, &r1);
    gp_join(unborn, &r2);
    printf(", killed %s; one not yet started never ran: %s\n", yes(r1 == GP_KILLED),
           yes(r2 == GP_KILLED && order_len == 3));

    int fds[2];
    if (pipe(fds))
        exit(1);
    pthread_t reader;
    if (pthread_create(&reader, NULL, read_forever, &fds[0]))
        exit(1);
    gp_sleep(GP_MSEC(5)); /* the reader blocks in read */
    int k = gp_kill(reader_handle);
    void *r;
    pthread_join(reader, &r);
    printf("gp_kill of a pthread thread in read(): %d, pthread_join gives PTHREAD_CANCELED: %s\n", k,
           yes(r == PTHREAD_CANCELED));
    printf("cleanup handlers ran: %d\n", cleanups);
    close(fds[0]);
    close(fds[1]);
}

/* gp_self of a thread made by pthread_create is a handle another green thread can join. */
static gp_thread_t published;

static void *publish_self(void *arg)
{
    published = gp_self();
    gp_sleep(GP_MSEC(5));
    return arg;
}

static void *join_published(void *arg)
{
    (void)arg;
    void *r = NULL;
    int e = gp_join(published, &r);
    return e ? NULL : r;
}

static void pthread_handles(void)
{
    pthread_t p;
    if (pthread_create(&p, NULL, publish_self, (void *)"from pthread"))
        exit(1);
    gp_yield();
    gp_thread_t joiner;
    if (gp_spawn(&joiner, join_published, NULL))
        exit(1);
    void *r;
    gp_join(joiner, &r);
    printf("a green thread joined a pthread thread's gp_self: %s\n", r ? (char *)r : "(failed)");
    printf("its handle is spent: %s\n", strerror(gp_join(published, NULL)));

    if (gp_setname(gp_self(), "api-main"))
        exit(1);
    if (pthread_create(&p, NULL, publish_self, NULL))
        exit(1);
    gp_yield();
    char inherited[16], name[16];
    gp_getname(published, inherited, sizeof inherited);
    gp_setname(published, "worker-1");
    pthread_getname_np(p, name, sizeof name);
    printf("names: inherited %s, set %s, too long: %s\n", inherited, name,
           strerror(gp_setname(published, "a-name-too-long!")));
    pthread_join(p, NULL);
}

static int running, most_running;

static void *counted_sleep(void *arg)
{
    if (++running > most_running)
        most_running = running;
    gp_sleep(GP_MSEC(1 + (uintptr_t)arg % 3));
    running--;
    return arg;
}

/* Sleeps the longer the earlier its letter: the pile's calls end in reverse order. */
static void *backwards(void *arg)
{
    gp_sleep(GP_MSEC(2 * ('e' - *(const char *)arg)));
    return arg;
}

static void pools(void)
{
    gp_pool_t *pool;
    if (gp_pool_create(&pool, 3))
        exit(1);
    for (uintptr_t i = 0; i < 9; i++)
        if (gp_pool_spawn(pool, counted_sleep, (void *)i, GP_FOREVER))
            exit(1);
    gp_pool_waitall(pool, GP_FOREVER);
    printf("a pool of 3 ran 9 calls, at most %d at once; busy pool destroyed: ", most_running);
    if (gp_pool_spawn(pool, counted_sleep, NULL, 0))
        exit(1);
    printf("%s\n", strerror(gp_pool_destroy(pool)));
    gp_pool_waitall(pool, GP_FOREVER);

    gp_pile_t *pile;
    if (gp_pile_create(&pile, pool))
        exit(1);
    const char *letters = "abcd";
    for (int i = 0; i < 4; i++)
        if (gp_pile_spawn(pile, backwards, (void *)(letters + i), GP_FOREVER))
            exit(1);
    printf("pile results:");
    void *r;
    while (gp_pile_next(pile, &r, GP_FOREVER) == 0)
        printf(" %c", *(const char *)r);
    printf(", then: %s\n", strerror(gp_pile_next(pile, &r, 0)));
    if (gp_pile_destroy(pile) || gp_pool_destroy(pool))
        exit(1);
}

static void misuse(void)
{
    gp_thread_t t;
    if (gp_spawn(&t, note, (void *)"m"))
        exit(1);
    gp_yield();
    printf("kill of an ended thread: %d\n", gp_kill(t));
    gp_join(t, NULL);
    printf("join twice: %s\n", strerror(gp_join(t, NULL)));
    printf("join self: %s\n", strerror(gp_join(gp_self(), NULL)));
    if (gp_spawn(&t, note, (void *)"d") || gp_detach(t))
        exit(1);
    printf("join detached: %s\n", strerror(gp_join(t, NULL)));
    printf("kill of no thread: %s\n", strerror(gp_kill((gp_thread_t){0})));
}

int main(void)
{
    alarm(20);
    setvbuf(stdout, NULL, _IOLBF, 0);
    deferred_tasks();
    kills();
    pthread_handles();
    pools();
    misuse();
    return 0;
}
