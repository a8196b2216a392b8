/* Raw system calls through libc's syscall(). Libraries that skip libc's wrappers reach the
 * kernel here: a blocking one would stall every green thread. syscall(SYS_futex, ...)
 * goes to the green futex (runtime/futex.h); the other blocking numbers go through the
 * interposed function of the same name, so that they wait as their wrappers do, and come
 * back in syscall()'s convention (-1 and errno). Those whose wrappers are not interposed
 * yet (poll, ppoll, pselect6, epoll_wait, epoll_pwait, wait4, waitid) reach libc's and
 * block, until the shim exports them: the call is made by name for that reason. Every
 * other number passes straight through. glibc's syscall() is no cancellation point,
 * whatever the number: the wrappers' cancellation points stay inert meanwhile, and
 * pthread_cancel does not wake the wait (runtime/cancel.h).
 * Interposes: syscall.
 * coverage cooperative: syscall */
#include "shim.h"

#include "cancel.h"
#include "clock.h"
#include "futex.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The kernel's sigset_t: the size every signal system call insists on. */
enum { KERNEL_SIGSET_SIZE = 8 };

/* For calls whose wrappers return an error number instead of setting errno. */
static long errno_convention(int error)
{
    if (!error)
        return 0;
    errno = error;
    return -1;
}

static long invalid(void) { return errno_convention(EINVAL); }

/* The raw ppoll and pselect6 write the time left back into their timespec, which glibc's
 * wrappers hide behind a copy (not for a zero timeout, nor after an error of the call's
 * own arguments). */
static int64_t deadline_of(const struct timespec *ts)
{
    return ts && gp__timespec_valid(ts) ? gp__deadline_after(gp__timespec_ns(ts)) : 0;
}

static long time_left(long r, struct timespec *ts, int64_t deadline)
{
    if (!ts || (ts->tv_sec == 0 && ts->tv_nsec == 0) || !deadline || (r < 0 && errno != EINTR))
        return r;
    int64_t left = deadline - gp__now_ns();
    left = left > 0 ? left : 0;
    ts->tv_sec = left / 1000000000;
    ts->tv_nsec = left % 1000000000;
    return r;
}

/* pselect6's sixth argument. */
struct pselect6_mask {
    const sigset_t *set;
    size_t size;
};

static long through_wrapper(long n, long *a, bool *done)
{
    *done = true;
    switch (n) {
    case SYS_read:
        return read((int)a[0], (void *)a[1], (size_t)a[2]);
    case SYS_write:
        return write((int)a[0], (const void *)a[1], (size_t)a[2]);
    case SYS_readv:
        return readv((int)a[0], (const struct iovec *)a[1], (int)a[2]);
    case SYS_writev:
        return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
    case SYS_recvfrom:
        return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3], (struct sockaddr *)a[4],
                        (socklen_t *)a[5]);
    case SYS_sendto:
        return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
                      (const struct sockaddr *)a[4], (socklen_t)a[5]);
    case SYS_recvmsg:
        return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
    case SYS_sendmsg:
        return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
    case SYS_accept:
        return accept((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
    case SYS_accept4:
        return accept4((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], (int)a[3]);
    case SYS_connect:
        return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
    case SYS_nanosleep:
        return nanosleep((const struct timespec *)a[0], (struct timespec *)a[1]);
    case SYS_clock_nanosleep:
        return errno_convention(clock_nanosleep(
            (clockid_t)a[0], (int)a[1], (const struct timespec *)a[2], (struct timespec *)a[3]));
    case SYS_poll:
        return poll((struct pollfd *)a[0], (nfds_t)a[1], (int)a[2]);
    case SYS_ppoll: {
        if (a[3] && a[4] != KERNEL_SIGSET_SIZE)
            return invalid();
        struct timespec *ts = (struct timespec *)a[2];
        int64_t deadline = deadline_of(ts);
        return time_left(ppoll((struct pollfd *)a[0], (nfds_t)a[1], ts, (const sigset_t *)a[3]),
                         ts, deadline);
    }
    case SYS_pselect6: {
        const struct pselect6_mask *m = (const struct pselect6_mask *)a[5];
        if (m && m->set && m->size != KERNEL_SIGSET_SIZE)
            return invalid();
        struct timespec *ts = (struct timespec *)a[4];
        int64_t deadline = deadline_of(ts);
        return time_left(pselect((int)a[0], (fd_set *)a[1], (fd_set *)a[2], (fd_set *)a[3], ts,
                                 m ? m->set : NULL),
                         ts, deadline);
    }
    case SYS_epoll_wait:
        return epoll_wait((int)a[0], (struct epoll_event *)a[1], (int)a[2], (int)a[3]);
    case SYS_epoll_pwait:
        if (a[4] && a[5] != KERNEL_SIGSET_SIZE)
            return invalid();
        return epoll_pwait((int)a[0], (struct epoll_event *)a[1], (int)a[2], (int)a[3],
                           (const sigset_t *)a[4]);
    case SYS_wait4:
        return wait4((pid_t)a[0], (int *)a[1], (int)a[2], (struct rusage *)a[3]);
    case SYS_waitid:
        if (a[4])
            break; /* waitid() has no rusage argument: the raw call alone can fill it */
        return waitid((idtype_t)a[0], (id_t)a[1], (siginfo_t *)a[2], (int)a[3]);
    /* The signal calls act on the green thread's mask, and their raw forms on a kernel
     * sigset_t, the first word of glibc's, which is all the runtime reads and writes. */
    case SYS_rt_sigprocmask:
        if (a[3] != KERNEL_SIGSET_SIZE)
            return invalid();
        return sigprocmask((int)a[0], (const sigset_t *)a[1], (sigset_t *)a[2]);
    case SYS_rt_sigpending:
        if (a[1] != KERNEL_SIGSET_SIZE)
            break; /* shorter sets are the kernel's business */
        return sigpending((sigset_t *)a[0]);
    case SYS_rt_sigtimedwait:
        if (a[3] != KERNEL_SIGSET_SIZE)
            return invalid();
        return sigtimedwait((const sigset_t *)a[0], (siginfo_t *)a[1],
                            (const struct timespec *)a[2]);
    case SYS_rt_sigsuspend:
        if (a[1] != KERNEL_SIGSET_SIZE)
            return invalid();
        return sigsuspend((const sigset_t *)a[0]);
    case SYS_pause:
        return pause();
    default:
        break;
    }
    *done = false;
    return 0;
}

GP_EXPORT long syscall(long number, ...)
{
    /* The real syscall() reads six arguments whatever the number: so does this one. */
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    /* Without the scheduler there is nothing green to wait for or to wake; on the hub the
     * call is the hub's own. */
    if (!gp__init() || !gp__sched_main() || (gp__current && gp__current->is_hub))
        return gp__real.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    bool cancel_was_disabled = gp__cancel_suspend();
    bool done = true;
    long r = 0;
    if (number == SYS_futex) {
        int saved = errno;
        r = gp_return(gp__futex((uint32_t *)a[0], (int)a[1], (uint32_t)a[2], a[3],
                                (uint32_t *)a[4], (uint32_t)a[5]),
                      saved);
    } else if (gp__sched_green()) {
        r = through_wrapper(number, a, &done);
    } else {
        done = false;
    }
    gp__cancel_resume(cancel_was_disabled);
    if (done)
        return r;
    return gp__real.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
