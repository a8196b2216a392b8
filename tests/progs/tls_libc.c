/* libc's own per-thread state stays per thread:
 *
 *  - locale: main switches itself to C.UTF-8 with uselocale; 8 threads start in the global
 *    ("C") locale, not main's; half switch to C.UTF-8 themselves, and each sees its own
 *    locale (MB_CUR_MAX 6 and codeset UTF-8, or 1 and ANSI_X3.4-1968; uselocale(0) its own
 *    object) across every yield (tls_util.h); main's is kept;
 *  - h_errno: 8 threads start with 0, each sets its own values and keeps them across every
 *    yield; main's is kept;
 *  - malloc: 16 threads allocate blocks from 1 byte to 200 KiB (calloc, malloc, realloc),
 *    fill them, and hand them over through a list under a mutex and through a pipe to other
 *    threads, which check and free them, yielding in between;
 *  - getaddrinfo("localhost") in 4 threads, 5 times each, while 4 other threads keep
 *    counting their own thread variables across yields: every answer is 127.0.0.1 port 80,
 *    and every thread, the resolving ones included, keeps its own thread variable. */
#include "tls_util.h"

#include <langinfo.h>
#include <locale.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdatomic.h>

enum { STEPS = 60, MAX_THREADS = 16 };

/* A thread variable of the program, to check around getaddrinfo. */
__thread long own_value = 42;

/* Runs count threads of routine (given their index), with a feeder for yield_steps steps of
 * tls_yield in each, and reports the OS thread count at where while they run. */
static void run_threads(int count, void *(*routine)(void *), int yield_steps, const char *where)
{
    if (count > MAX_THREADS) {
        fprintf(stderr, "run_threads: %d threads, at most %d\n", count, MAX_THREADS);
        exit(1);
    }
    pthread_t feeder = tls_feeder_start(count * tls_pipe_reads(yield_steps));
    pthread_t threads[MAX_THREADS];
    for (int i = 0; i < count; i++)
        threads[i] = start_thread(NULL, routine, (void *)(intptr_t)i);
    if (where)
        report_os_threads(where);
    for (int i = 0; i < count; i++)
        join_or_die(threads[i]);
    join_or_die(feeder);
}

/* ---- locale ---- */

enum { LOCALE_THREADS = 8 };

static locale_t utf8;
static atomic_int started_in_main_locale, locale_lost;

static bool sees_locale(bool in_utf8, locale_t own)
{
    return MB_CUR_MAX == (in_utf8 ? 6 : 1) &&
           strcmp(nl_langinfo(CODESET), in_utf8 ? "UTF-8" : "ANSI_X3.4-1968") == 0 &&
           uselocale((locale_t)0) == own;
}

static void *keep_locale(void *arg)
{
    int index = (int)(intptr_t)arg;
    if (!sees_locale(false, LC_GLOBAL_LOCALE)) {
        atomic_fetch_add(&started_in_main_locale, 1);
        tls_fail("locale thread %d did not start in the global locale: MB_CUR_MAX %zu, "
                 "codeset %s", index, MB_CUR_MAX, nl_langinfo(CODESET));
    }
    bool in_utf8 = index % 2 == 0;
    locale_t own = in_utf8 ? utf8 : LC_GLOBAL_LOCALE;
    if (in_utf8)
        uselocale(utf8);
    for (int step = 0; step < STEPS; step++) {
        tls_yield(step);
        if (!sees_locale(in_utf8, own)) {
            atomic_fetch_add(&locale_lost, 1);
            tls_fail("locale thread %d (%s) after step %d (yield kind %d): MB_CUR_MAX %zu, "
                     "codeset %s", index, in_utf8 ? "C.UTF-8" : "C", step,
                     step % TLS_YIELD_KINDS, MB_CUR_MAX, nl_langinfo(CODESET));
            break;
        }
    }
    uselocale(LC_GLOBAL_LOCALE);
    return NULL;
}

static void locales(void)
{
    utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8) {
        printf("newlocale C.UTF-8: %s\n", error_name(errno));
        exit(1);
    }
    uselocale(utf8);
    run_threads(LOCALE_THREADS, keep_locale, STEPS, "locale-threads-alive");
    bool main_kept = sees_locale(true, utf8);
    uselocale(LC_GLOBAL_LOCALE);
    freelocale(utf8);
    printf("uselocale: %d threads started in the global locale, not main's: %s; the %d in "
           "C.UTF-8 saw MB_CUR_MAX 6 and UTF-8, the %d in C saw 1 and ANSI_X3.4-1968, across "
           "every yield: %s; main's C.UTF-8 kept: %s\n",
           LOCALE_THREADS, yes_no(atomic_load(&started_in_main_locale) == 0), LOCALE_THREADS / 2,
           LOCALE_THREADS / 2, yes_no(atomic_load(&locale_lost) == 0), yes_no(main_kept));
    if (!main_kept)
        tls_fail("main's locale changed: MB_CUR_MAX %zu", MB_CUR_MAX);
}

/* ---- h_errno ---- */

enum { H_ERRNO_THREADS = 8 };

static atomic_int h_errno_not_zero, h_errno_lost;

static void *keep_h_errno(void *arg)
{
    int index = (int)(intptr_t)arg;
    if (h_errno != 0) {
        atomic_fetch_add(&h_errno_not_zero, 1);
        tls_fail("h_errno thread %d started with h_errno %d", index, h_errno);
    }
    for (int step = 0; step < STEPS; step++) {
        int own = 1000 * (index + 1) + step;
        h_errno = own;
        tls_yield(step);
        if (h_errno != own) {
            atomic_fetch_add(&h_errno_lost, 1);
            tls_fail("h_errno thread %d after step %d (yield kind %d): %d, not its own %d",
                     index, step, step % TLS_YIELD_KINDS, h_errno, own);
            break;
        }
    }
    return NULL;
}

static void h_errnos(void)
{
    h_errno = NO_RECOVERY;
    run_threads(H_ERRNO_THREADS, keep_h_errno, STEPS, NULL);
    bool main_kept = h_errno == NO_RECOVERY;
    printf("h_errno: %d threads started with 0: %s, kept their own across every yield: %s; "
           "main's kept: %s\n",
           H_ERRNO_THREADS, yes_no(atomic_load(&h_errno_not_zero) == 0),
           yes_no(atomic_load(&h_errno_lost) == 0), yes_no(main_kept));
    if (!main_kept)
        tls_fail("main's h_errno changed to %d", h_errno);
}

/* ---- malloc ---- */

enum { MALLOC_THREADS = 16, ROUNDS = 300, PIPE_EVERY = 10, BIG_EVERY = 50 };

struct block {
    struct block *next; /* on the shared list */
    size_t size;        /* of the whole allocation */
    unsigned char fill;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *list; /* under list_lock */
static int handoff_pipe[2];
static atomic_int blocks_made, blocks_freed, blocks_damaged;

static size_t size_of(int index, int round)
{
    if (round % BIG_EVERY == BIG_EVERY - 1)
        return 200 * 1024; /* above glibc's mmap threshold */
    unsigned x = (unsigned)(index * ROUNDS + round) * 2654435761u;
    return sizeof(struct block) + x % 20000;
}

static struct block *make_block(int index, int round)
{
    size_t size = size_of(index, round);
    struct block *b;
    if (round % 3 == 0) {
        b = calloc(1, size);
        if (b)
            for (size_t i = sizeof *b; i < size; i++)
                if (((unsigned char *)b)[i] != 0) {
                    atomic_fetch_add(&blocks_damaged, 1);
                    tls_fail("calloc of %zu bytes: byte %zu not zero", size, i);
                    break;
                }
    } else if (round % 3 == 1) {
        b = malloc(size / 2 + sizeof *b);
        b = b ? realloc(b, size) : NULL;
    } else {
        b = malloc(size);
    }
    if (!b) {
        printf("out of memory for %zu bytes\n", size);
        exit(1);
    }
    b->size = size;
    b->fill = (unsigned char)(index * 31 + round);
    memset((unsigned char *)b + sizeof *b, b->fill, size - sizeof *b);
    atomic_fetch_add(&blocks_made, 1);
    return b;
}

static void check_and_free(struct block *b)
{
    const unsigned char *bytes = (const unsigned char *)b;
    for (size_t i = sizeof *b; i < b->size; i++)
        if (bytes[i] != b->fill) {
            atomic_fetch_add(&blocks_damaged, 1);
            tls_fail("a block of %zu bytes: byte %zu is %#x, not %#x", b->size, i, bytes[i],
                     b->fill);
            break;
        }
    free(b);
    atomic_fetch_add(&blocks_freed, 1);
}

static struct block *take_from_list(void)
{
    pthread_mutex_lock(&list_lock);
    struct block *b = list;
    if (b)
        list = b->next;
    pthread_mutex_unlock(&list_lock);
    return b;
}

static void *allocate_and_pass(void *arg)
{
    int index = (int)(intptr_t)arg;
    for (int round = 0; round < ROUNDS; round++) {
        struct block *b = make_block(index, round);
        if (round % PIPE_EVERY == 0) {
            if (write(handoff_pipe[1], &b, sizeof b) != (ssize_t)sizeof b)
                tls_fail("malloc thread %d: short write of a pointer", index);
        } else {
            pthread_mutex_lock(&list_lock);
            b->next = list;
            list = b;
            pthread_mutex_unlock(&list_lock);
        }
        tls_yield(round);
        struct block *other = take_from_list();
        if (other)
            check_and_free(other);
    }
    return NULL;
}

/* Frees the blocks that come through the pipe, as many as the threads send. */
static void *free_from_pipe(void *arg)
{
    (void)arg;
    for (int i = 0; i < MALLOC_THREADS * (ROUNDS / PIPE_EVERY); i++) {
        struct block *b;
        if (read(handoff_pipe[0], &b, sizeof b) != (ssize_t)sizeof b) {
            tls_fail("the pipe's reader: short read of a pointer");
            break;
        }
        check_and_free(b);
    }
    return NULL;
}

static void mallocs(void)
{
    must_succeed(pipe(handoff_pipe) ? errno : 0, "pipe");
    pthread_t reader = start_thread(NULL, free_from_pipe, NULL);
    run_threads(MALLOC_THREADS, allocate_and_pass, ROUNDS, "malloc-threads-alive");
    join_or_die(reader);
    for (struct block *b; (b = take_from_list());)
        check_and_free(b);
    printf("malloc: %d threads x %d blocks of up to 200 KiB, freed by other threads through a "
           "list and a pipe: contents intact: %s, all freed: %s\n",
           MALLOC_THREADS, ROUNDS, yes_no(atomic_load(&blocks_damaged) == 0),
           yes_no(atomic_load(&blocks_freed) == atomic_load(&blocks_made) &&
                  atomic_load(&blocks_made) == MALLOC_THREADS * ROUNDS));
}

/* ---- getaddrinfo ---- */

enum { RESOLVERS = 4, LOOKUPS = 5, COUNTERS = 4 };

static atomic_int wrong_answers, values_lost;

static bool localhost_port_80(void)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    int r = getaddrinfo("localhost", "80", &hints, &res);
    if (r != 0) {
        tls_fail("getaddrinfo(localhost): %s", gai_strerror(r));
        return false;
    }
    const struct sockaddr_in *in = (const struct sockaddr_in *)res->ai_addr;
    bool right = res->ai_family == AF_INET && in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
                 in->sin_port == htons(80);
    freeaddrinfo(res);
    return right;
}

/* Threads 0 .. RESOLVERS - 1 resolve, the others count. */
static void *resolve_or_count(void *arg)
{
    int index = (int)(intptr_t)arg;
    own_value = 1000 * (index + 1);
    int rounds = index < RESOLVERS ? LOOKUPS : STEPS;
    for (int step = 0; step < rounds; step++) {
        own_value++;
        if (index < RESOLVERS) {
            if (!localhost_port_80())
                atomic_fetch_add(&wrong_answers, 1);
        } else {
            tls_yield(step);
        }
        if (own_value != 1000 * (index + 1) + step + 1) {
            atomic_fetch_add(&values_lost, 1);
            tls_fail("%s thread %d after step %d: its thread variable is %ld, not %d",
                     index < RESOLVERS ? "resolving" : "counting", index, step, own_value,
                     1000 * (index + 1) + step + 1);
            break;
        }
    }
    return NULL;
}

static void lookups(void)
{
    /* Only the counting threads read from the feeder's pipe: as many bytes as they read. */
    pthread_t feeder = tls_feeder_start(COUNTERS * tls_pipe_reads(STEPS));
    pthread_t threads[RESOLVERS + COUNTERS];
    for (int i = 0; i < RESOLVERS + COUNTERS; i++)
        threads[i] = start_thread(NULL, resolve_or_count, (void *)(intptr_t)i);
    for (int i = 0; i < RESOLVERS + COUNTERS; i++)
        join_or_die(threads[i]);
    join_or_die(feeder);
    printf("getaddrinfo(localhost) in %d threads x %d while %d threads counted: 127.0.0.1 "
           "port 80 every time: %s; every thread kept its own thread variable: %s\n",
           RESOLVERS, LOOKUPS, COUNTERS, yes_no(atomic_load(&wrong_answers) == 0),
           yes_no(atomic_load(&values_lost) == 0));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(TLS_ALARM_S);
    printf("tls_libc start\n");
    locales();
    h_errnos();
    mallocs();
    lookups();
    return tls_exit_status();
}
