/* Shared by the detect_* helper programs (tests/test_detector.c): plain C, nothing of the
 * shim. They stand for programs that hold their OS thread without a blocking libc call: a
 * busy loop, a system call made with the syscall instruction itself (as Go's runtime and
 * statically linked code do). Their functions that hold the thread are global and the
 * programs are linked with -rdynamic, as a program that wants readable backtraces is, so
 * that a backtrace names them. */
#ifndef DETECT_UTIL_H
#define DETECT_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A program that hangs anyway ends by SIGALRM rather than by the test's timeout. */
enum { DETECT_SAFETY_ALARM_S = 10 };

#define DETECT_CHECK(cond, what)                                                              \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            printf("FAIL: %s:%d: %s (errno %s)\n", __FILE__, __LINE__, what,                 \
                   strerrorname_np(errno) ? strerrorname_np(errno) : "0");                    \
            fflush(stdout);                                                                   \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

static inline double detect_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline pthread_t detect_start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int r = pthread_create(&t, NULL, fn, arg);
    errno = r;
    DETECT_CHECK(r == 0, "pthread_create");
    return t;
}

#endif
