/* See ipc.h. */
#include "ipc.h"

#include "clock.h"
#include "hub.h"
#include "pool.h"
#include "real.h"
#include "timeout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <termios.h>

static long neg_errno(long r) { return r < 0 ? -errno : r; }

/* ---- System V message queues and semaphores: tried with IPC_NOWAIT, waited for in the
 * pool ---- */

/* The arguments of one call, on the parked caller's stack while a worker makes it. */
struct sysv_call {
    int id;
    int flags;
    void *msg;
    size_t size;
    long type;
    struct sembuf *ops;
    const struct timespec *timeout;
    bool use_semop;
};

static long msgrcv_call(void *p)
{
    struct sysv_call *c = p;
    return neg_errno(gp__real.msgrcv(c->id, c->msg, c->size, c->type, c->flags));
}

static long msgsnd_call(void *p)
{
    struct sysv_call *c = p;
    return neg_errno(gp__real.msgsnd(c->id, c->msg, c->size, c->flags));
}

static long semop_call(void *p)
{
    struct sysv_call *c = p;
    return neg_errno(c->use_semop ? gp__real.semop(c->id, c->ops, c->size)
                                  : gp__real.semtimedop(c->id, c->ops, c->size, c->timeout));
}

/* The call with IPC_NOWAIT, then, when it says it would wait (busy: ENOMSG for msgrcv,
 * EAGAIN otherwise), the call as the program made it, in the pool. */
static long nowait_then_pool(long (*fn)(void *), struct sysv_call *c, int busy)
{
    int flags = c->flags;
    c->flags |= IPC_NOWAIT;
    long r = fn(c);
    c->flags = flags;
    return r == -busy ? gp__pool_wait(fn, c) : r;
}

ssize_t gp__ipc_msgrcv(int id, void *msg, size_t size, long type, int flags)
{
    struct sysv_call c = {.id = id, .flags = flags, .msg = msg, .size = size, .type = type};
    if (flags & IPC_NOWAIT)
        return msgrcv_call(&c);
    return nowait_then_pool(msgrcv_call, &c, ENOMSG);
}

int gp__ipc_msgsnd(int id, const void *msg, size_t size, int flags)
{
    struct sysv_call c = {.id = id, .flags = flags, .msg = (void *)msg, .size = size};
    if (flags & IPC_NOWAIT)
        return (int)msgsnd_call(&c);
    return (int)nowait_then_pool(msgsnd_call, &c, EAGAIN);
}

/* Operations in one call at most that are tried without waiting on the stack (the kernel's
 * default limit, SEMOPM, is 500). */
enum { SEMOPS_ON_STACK = 32 };

int gp__ipc_semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *timeout,
                       bool use_semop)
{
    struct sysv_call c = {.id = id, .ops = ops, .size = n, .timeout = timeout,
                          .use_semop = use_semop};
    /* IPC_NOWAIT is a flag of each operation: a copy with it on every one is the attempt
     * (the operations are applied all or none, so a failed attempt changes nothing). */
    struct sembuf small[SEMOPS_ON_STACK], *nowait = small;
    bool all_nowait = true;
    for (size_t i = 0; i < n && all_nowait; i++)
        all_nowait = ops[i].sem_flg & IPC_NOWAIT;
    if (all_nowait)
        return (int)semop_call(&c); /* it never waits; n == 0 gets the kernel's EINVAL */
    if (n > SEMOPS_ON_STACK && !(nowait = malloc(n * sizeof *nowait)))
        return (int)gp__pool_wait(semop_call, &c);
    for (size_t i = 0; i < n; i++) {
        nowait[i] = ops[i];
        nowait[i].sem_flg |= IPC_NOWAIT;
    }
    struct sysv_call attempt = c;
    attempt.ops = nowait;
    long r = semop_call(&attempt);
    if (nowait != small)
        free(nowait);
    return (int)(r == -EAGAIN ? gp__pool_wait(semop_call, &c) : r);
}

/* ---- POSIX message queues: an attempt that cannot wait, then the hub ---- */

/* An absolute time long past: mq_timed* with it fails with ETIMEDOUT at once instead of
 * waiting, leaving the descriptor's flags alone (another process may share it). */
static const struct timespec long_ago = {0, 0};

struct mq_call {
    mqd_t q;
    char *msg;
    size_t size;
    unsigned prio;       /* send */
    unsigned *prio_out;  /* receive */
    bool send;
};

static ssize_t mq_call(const struct mq_call *c, const struct timespec *abs_timeout)
{
    return neg_errno(c->send ? gp__real.mq_timedsend(c->q, c->msg, c->size, c->prio, abs_timeout)
                             : gp__real.mq_timedreceive(c->q, c->msg, c->size, c->prio_out,
                                                        abs_timeout));
}

static ssize_t mq_transfer(const struct mq_call *c, const struct timespec *abs_timeout)
{
    /* The program's O_NONBLOCK and an invalid timeout get the kernel's answer at once. */
    int flags = gp__real.fcntl(c->q, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK) || (abs_timeout && !gp__timespec_valid(abs_timeout)))
        return mq_call(c, abs_timeout);
    int64_t own =
        abs_timeout ? gp__deadline_from_abs(CLOCK_REALTIME, abs_timeout) : GP_NO_DEADLINE;
    int64_t deadline = gp__timeout_bound(own); /* the timeout scope's (timeout.h), if earlier */
    for (;;) {
        ssize_t r = mq_call(c, &long_ago);
        if (r != -ETIMEDOUT)
            return r;
        switch (gp__hub_wait_fd(c->q, c->send ? GP_HUB_WRITE : GP_HUB_READ, deadline,
                                GP_INTR_UNLESS_RESTART)) {
        case GP_WAKE_CLOSED:
            return -EBADF;
        case GP_WAKE_INTERRUPT:
            return -EINTR;
        case GP_WAKE_TIMEOUT:
            /* ETIMEDOUT, unless a message came just now; cut short by the scope, one more
             * try that does not wait. */
            return mq_call(c, gp__timeout_cut(own) ? &long_ago : abs_timeout);
        default:
            break; /* ready: another green thread may have been first, so try again */
        }
    }
}

ssize_t gp__ipc_mq_receive(mqd_t q, char *msg, size_t size, unsigned *prio,
                           const struct timespec *abs_timeout)
{
    return mq_transfer(&(struct mq_call){.q = q, .msg = msg, .size = size, .prio_out = prio},
                       abs_timeout);
}

int gp__ipc_mq_send(mqd_t q, const char *msg, size_t size, unsigned prio,
                    const struct timespec *abs_timeout)
{
    return (int)mq_transfer(
        &(struct mq_call){.q = q, .msg = (char *)msg, .size = size, .prio = prio, .send = true},
        abs_timeout);
}

/* ---- terminals ---- */

struct terminal_call {
    int fd;
    int duration; /* tcsendbreak */
    bool sends_break;
};

static long terminal_call(void *p)
{
    struct terminal_call *c = p;
    return neg_errno(c->sends_break ? gp__real.tcsendbreak(c->fd, c->duration)
                                    : gp__real.tcdrain(c->fd));
}

int gp__ipc_tcdrain(int fd) { return (int)gp__pool_call(terminal_call, &(struct terminal_call){.fd = fd}); }

int gp__ipc_tcsendbreak(int fd, int duration)
{
    return (int)gp__pool_call(terminal_call, &(struct terminal_call){fd, duration, true});
}
