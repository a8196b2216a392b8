/* Shared by the semaphore helper programs (sync_sem, sync_sem_shared): the three waits,
 * called the same way, and how a result prints. */
#ifndef SEM_WAITS_H
#define SEM_WAITS_H

#include "thread_prog.h"

#include <semaphore.h>

/* What a call that sets errno returned: "0" or "-1 ENAME". */
static inline const char *result(int r, int error)
{
    static char buf[64];
    if (r == 0)
        return "0";
    snprintf(buf, sizeof buf, "%d %s", r, error_name(error));
    return buf;
}

enum wait_kind { WAIT, TIMEDWAIT, CLOCKWAIT_MONOTONIC, CLOCKWAIT_REALTIME };
static const char *const wait_names[] = {"sem_wait", "sem_timedwait",
                                         "sem_clockwait (monotonic)", "sem_clockwait (realtime)"};

/* Waits on s in the given way; the timed ones until ms milliseconds from now. */
static inline int wait_in(enum wait_kind kind, sem_t *s, long ms)
{
    struct timespec at;
    switch (kind) {
    case WAIT:
        return sem_wait(s);
    case TIMEDWAIT:
        at = deadline_in(CLOCK_REALTIME, ms);
        return sem_timedwait(s, &at);
    case CLOCKWAIT_MONOTONIC:
        at = deadline_in(CLOCK_MONOTONIC, ms);
        return sem_clockwait(s, CLOCK_MONOTONIC, &at);
    case CLOCKWAIT_REALTIME:
        at = deadline_in(CLOCK_REALTIME, ms);
        return sem_clockwait(s, CLOCK_REALTIME, &at);
    }
    return -1;
}

#endif
