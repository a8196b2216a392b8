/* Shared by the thread-local storage helper programs (tls_exe, tls_libs, tls_libc, tls_cxx):
 * counting failures, and letting the other threads run in the three ways a thread can.
 * C and C++ alike (tls_cxx includes it). Plain libc only: these programs stand for
 * unmodified programs and know nothing of the shim.
 *
 * A failure is counted and the first one kept (printed by the program at the end, on stdout,
 * so that a test's diff shows it); the program goes on with its other checks, and a thread
 * that failed stops its loop early, so a broken run ends quickly with exit status 1 rather
 * than hanging. */
#ifndef TLS_UTIL_H
#define TLS_UTIL_H

#include "thread_prog.h"

#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

/* Every TLS program ends itself if it hangs, well before the harness's limit. */
enum { TLS_ALARM_S = 12 };

static pthread_mutex_t tls_failure_lock = PTHREAD_MUTEX_INITIALIZER;
static int tls_failure_count;       /* under tls_failure_lock */
static char tls_first_failure[300]; /* under tls_failure_lock */

static inline __attribute__((format(printf, 1, 2))) void tls_fail(const char *format, ...)
{
    pthread_mutex_lock(&tls_failure_lock);
    if (tls_failure_count++ == 0) {
        va_list ap;
        va_start(ap, format);
        vsnprintf(tls_first_failure, sizeof tls_first_failure, format, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&tls_failure_lock);
}

static inline int tls_failures(void)
{
    pthread_mutex_lock(&tls_failure_lock);
    int n = tls_failure_count;
    pthread_mutex_unlock(&tls_failure_lock);
    return n;
}

/* The program's last words: "N failures, the first: ..." and status 1, or status 0. */
static inline int tls_exit_status(void)
{
    int n = tls_failures();
    if (n == 0)
        return 0;
    printf("%d failures, the first: %s\n", n, tls_first_failure);
    return 1;
}

/* ---- letting the others run ----
 * tls_yield takes three ways in turn, by step: sched_yield; a nanosleep of 50 us; a read of
 * one byte from a pipe that a feeder thread fills a byte at a time, pausing now and then, so
 * that readers find it empty and wait (under the shim: park in the hub). A reader never
 * waits for a byte that is not coming: a section starts a feeder with exactly as many bytes
 * as its threads will read (tls_pipe_reads); a thread that stops early leaves bytes behind,
 * which only makes later reads return at once. */
enum { TLS_YIELD_KINDS = 3 };

static int tls_pipe[2] = {-1, -1};

static inline void tls_yield(int step)
{
    switch (step % TLS_YIELD_KINDS) {
    case 0:
        sched_yield();
        break;
    case 1: {
        struct timespec pause = {0, 50000};
        nanosleep(&pause, NULL);
        break;
    }
    default: {
        char byte;
        if (read(tls_pipe[0], &byte, 1) != 1)
            tls_fail("a read of one byte from the feeder's pipe did not return 1");
        break;
    }
    }
}

/* How many of steps 0 .. steps - 1 read from the pipe in tls_yield. */
static inline int tls_pipe_reads(int steps) { return steps / TLS_YIELD_KINDS; }

static inline void *tls_feed(void *arg)
{
    int bytes = (int)(intptr_t)arg;
    for (int i = 0; i < bytes; i++) {
        if (write(tls_pipe[1], "x", 1) != 1)
            tls_fail("the feeder's write to the pipe did not return 1");
        if (i % 8 == 7)
            usleep(100);
    }
    return NULL;
}

/* Starts a feeder that writes bytes bytes; the caller joins it. */
static inline pthread_t tls_feeder_start(int bytes)
{
    if (tls_pipe[0] < 0)
        must_succeed(pipe(tls_pipe) ? errno : 0, "pipe");
    return start_thread(NULL, tls_feed, (void *)(intptr_t)bytes);
}

/* The full path of file in the program's own directory (where the helper libraries are). */
static inline void tls_path_beside_program(char *path, size_t size, const char *file)
{
    ssize_t n = readlink("/proc/self/exe", path, size - 1);
    must_succeed(n < 0 ? errno : 0, "readlink /proc/self/exe");
    path[n] = 0;
    char *directory_end = strrchr(path, '/') + 1;
    snprintf(directory_end, size - (size_t)(directory_end - path), "%s", file);
}

/* Addresses as the code would compute them afresh, not a value the compiler kept: glibc
 * declares __errno_location const, and without noipa the compiler may reuse one result. */
static __attribute__((noipa, unused)) int *tls_errno_address(void) { return &errno; }

#endif
