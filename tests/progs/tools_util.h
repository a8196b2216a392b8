/* Shared by the tools_* helper programs (tests/test_tools.c): plain C, nothing of the shim.
 * The functions a thread dump should name are global, and the programs are linked with
 * -rdynamic, as a program that wants readable backtraces is. They check as the detect_*
 * programs do (detect_util.h). */
#ifndef TOOLS_UTIL_H
#define TOOLS_UTIL_H

#include "detect_util.h"

static inline pthread_t tools_start(void *(*fn)(void *), void *arg, const char *name)
{
    pthread_t t = detect_start(fn, arg);
    pthread_setname_np(t, name);
    return t;
}

static inline void tools_join(pthread_t t, void **result)
{
    int r = pthread_join(t, result);
    errno = r;
    DETECT_CHECK(r == 0, "pthread_join");
}

#endif
