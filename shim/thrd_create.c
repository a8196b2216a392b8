/* C11 threads.
 * Interposes: thrd_create, thrd_join, thrd_detach, thrd_exit, thrd_current, thrd_sleep,
 * thrd_yield. (thrd_equal compares two handles and is left to glibc.)
 *
 * glibc's C11 functions call its pthread functions by their internal names, which no
 * interposer sees: thrd_create would start an OS thread, thrd_join wait in the kernel.
 * These call the pthread functions by their public names instead, which the shim
 * interposes (so that they go through the same gates and the same machinery), and turn
 * the answers into C11 return codes exactly as glibc 2.36 does (sysdeps/pthread/thrd_*.c,
 * thrd_priv.h). Shared by the C11 files: shim/mtx_lock.c, shim/cnd_wait.c,
 * shim/tss_create.c, call_once in shim/pthread_once.c.
 *
 * coverage cooperative: thrd_join thrd_sleep thrd_yield */
#include "shim.h"

#include "c11.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

int gp_c11_result(int error)
{
    switch (error) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

/* A C11 thread's start routine returns an int, which glibc turns into the thread's void *
 * result (its start_thread for ATTR_C11_THREAD); thrd_join turns it back. */
struct c11_start {
    thrd_start_t func;
    void *arg;
};

static void *c11_entry(void *p)
{
    struct c11_start start = *(struct c11_start *)p;
    free(p);
    return (void *)(uintptr_t)start.func(start.arg);
}

GP_EXPORT_VERSIONS(thrd_create, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
    struct c11_start *start = malloc(sizeof *start);
    if (!start)
        return thrd_nomem;
    *start = (struct c11_start){.func = func, .arg = arg};
    int r = pthread_create((pthread_t *)thr, NULL, c11_entry, start);
    if (r != 0)
        free(start);
    return gp_c11_result(r);
}

GP_EXPORT_VERSIONS(thrd_join, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_thrd_join(thrd_t thr, int *res)
{
    void *result;
    int r = pthread_join(thr, &result);
    if (r == 0 && res)
        *res = (int)(uintptr_t)result;
    return gp_c11_result(r);
}

GP_EXPORT_VERSIONS(thrd_detach, "GLIBC_2.34", "GLIBC_2.28")
int gp_shim_thrd_detach(thrd_t thr) { return gp_c11_result(pthread_detach(thr)); }

GP_EXPORT_VERSIONS(thrd_exit, "GLIBC_2.34", "GLIBC_2.28")
_Noreturn void gp_shim_thrd_exit(int res) { pthread_exit((void *)(uintptr_t)res); }

GP_EXPORT thrd_t thrd_current(void) { return pthread_self(); }

/* C11: 0 after the whole time, -1 when a signal handler interrupted it, other negative
 * values for other failures. */
GP_EXPORT int thrd_sleep(const struct timespec *duration, struct timespec *remaining)
{
    int r = clock_nanosleep(CLOCK_REALTIME, 0, duration, remaining);
    return r == 0 ? 0 : r == EINTR ? -1 : -2;
}

GP_EXPORT void thrd_yield(void) { sched_yield(); }
