/* errno belongs to each thread: 50 threads each put their own value in errno, block (sleep,
 * read on a pipe that another thread fills later, wait for a mutex that main holds, wait on a
 * cond), and check after every blocking call that errno still holds their value and that
 * &errno is the address it was before the call (compiled code caches it: glibc declares
 * __errno_location const). Natively each thread has its own errno; under the shim every
 * green thread must keep its own value across switches too. */
#include "thread_prog.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

enum { THREADS = 50 };

static int pipe_fds[2];

/* Held by main until every thread has read its byte, so that the threads then block in
 * pthread_mutex_lock; the cond phase that follows waits under the same mutex. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int waiting_on_cond; /* under gate_lock */
static bool released;       /* under gate_lock */

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress_cond = PTHREAD_COND_INITIALIZER;
static int bytes_read;        /* under progress_lock */
static int failures;          /* under progress_lock */
static char first_failure[200]; /* under progress_lock */

static void note_failure(const char *who, const char *step, int found, int wanted,
                         bool address_moved)
{
    pthread_mutex_lock(&progress_lock);
    if (failures++ == 0)
        snprintf(first_failure, sizeof first_failure, "%s after %s: errno %d (wanted %d)%s",
                 who, step, found, wanted, address_moved ? ", &errno moved" : "");
    pthread_mutex_unlock(&progress_lock);
}

/* errno is read once here, right after the blocking call, before anything else can set it. */
#define EXPECT_ERRNO_KEPT(who, step, wanted, address)                                          \
    do {                                                                                       \
        int found_ = errno;                                                                    \
        bool moved_ = &errno != (address);                                                     \
        if (found_ != (wanted) || moved_)                                                      \
            note_failure(who, step, found_, wanted, moved_);                                   \
    } while (0)

static void *block_and_check(void *arg)
{
    int index = (int)(intptr_t)arg;
    char who[32];
    snprintf(who, sizeof who, "thread %d", index);
    int *const address = &errno;

    /* Each phase uses a fresh value, distinct between threads and between phases. */
    errno = 1000 + index;
    usleep(1000 * (useconds_t)(index % 5 + 1));
    EXPECT_ERRNO_KEPT(who, "usleep", 1000 + index, address);

    errno = 2000 + index;
    char byte;
    if (read(pipe_fds[0], &byte, 1) != 1)
        note_failure(who, "read returned other than 1", 0, 0, false);
    EXPECT_ERRNO_KEPT(who, "pipe read", 2000 + index, address);
    pthread_mutex_lock(&progress_lock);
    bytes_read++;
    pthread_cond_broadcast(&progress_cond);
    pthread_mutex_unlock(&progress_lock);

    errno = 3000 + index;
    pthread_mutex_lock(&gate_lock);
    EXPECT_ERRNO_KEPT(who, "mutex wait", 3000 + index, address);

    errno = 4000 + index;
    waiting_on_cond++;
    while (!released)
        pthread_cond_wait(&gate_cond, &gate_lock);
    EXPECT_ERRNO_KEPT(who, "cond wait", 4000 + index, address);
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

/* Fills the pipe once the readers have had time to block on it. */
static void *fill_pipe_later(void *arg)
{
    (void)arg;
    int *const address = &errno;
    errno = 5000;
    usleep(100000);
    EXPECT_ERRNO_KEPT("filler", "usleep", 5000, address);
    char bytes[THREADS];
    memset(bytes, 'x', sizeof bytes);
    if (write(pipe_fds[1], bytes, sizeof bytes) != (ssize_t)sizeof bytes)
        note_failure("filler", "short write to the pipe", 0, 0, false);
    EXPECT_ERRNO_KEPT("filler", "write", 5000, address);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("errno_kept start\n");
    must_succeed(pipe(pipe_fds) ? errno : 0, "pipe");
    int *const address = &errno;

    pthread_mutex_lock(&gate_lock);
    pthread_t threads[THREADS], filler;
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, block_and_check, (void *)(intptr_t)i);
    filler = start_thread(NULL, fill_pipe_later, NULL);

    errno = 6000;
    pthread_mutex_lock(&progress_lock);
    while (bytes_read < THREADS)
        pthread_cond_wait(&progress_cond, &progress_lock);
    pthread_mutex_unlock(&progress_lock);
    EXPECT_ERRNO_KEPT("main", "cond wait", 6000, address);
    report_os_threads("readers-alive");
    usleep(20000); /* the threads block on gate_lock meanwhile */
    pthread_mutex_unlock(&gate_lock);

    errno = 7000;
    bool all_waiting = false;
    while (!all_waiting) {
        usleep(1000);
        pthread_mutex_lock(&gate_lock);
        all_waiting = waiting_on_cond == THREADS;
        if (all_waiting) {
            released = true;
            pthread_cond_broadcast(&gate_cond);
        }
        pthread_mutex_unlock(&gate_lock);
    }
    EXPECT_ERRNO_KEPT("main", "usleep", 7000, address);

    errno = 8000;
    for (int i = 0; i < THREADS; i++)
        join_or_die(threads[i]);
    join_or_die(filler);
    EXPECT_ERRNO_KEPT("main", "joins", 8000, address);

    printf("errno and &errno kept by %d threads, the filler and main across every blocking "
           "call: %s\n", THREADS, yes_no(failures == 0));
    if (failures)
        printf("%d failures, the first: %s\n", failures, first_failure);
    return 0;
}
