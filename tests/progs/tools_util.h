/* Shared by the tools_* helper programs (tests/test_tools.c): plain C, nothing of the shim.
 * The functions a thread dump should name are global, and the programs are linked with
 * -rdynamic, as a program that wants readable backtraces is. */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A program that hangs anyway ends by SIGALRM rather than by the test's timeout. */
enum { TOOLS_SAFETY_ALARM_S = 10 };

#define TOOLS_CHECK(cond, what)                                                               \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            printf("FAIL: %s:%d: %s (errno %s)\n", __FILE__, __LINE__, what,                  \
                   strerrorname_np(errno) ? strerrorname_np(errno) : "0");                    \
            fflush(stdout);                                                                   \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

static inline pthread_t tools_start(void *(*fn)(void *), void *arg, const char *name)
{
    pthread_t t;
    int r = pthread_create(&t, NULL, fn, arg);
    errno = r;
    TOOLS_CHECK(r == 0, "pthread_create");
    pthread_setname_np(t, name);
    return t;
}

static inline void tools_join(pthread_t t, void **result)
{
    int r = pthread_join(t, result);
    errno = r;
    TOOLS_CHECK(r == 0, "pthread_join");
}

#endif
