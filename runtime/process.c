/* See process.h.
 *
 * When to ask again. A wait that only the exit of one particular process ends (wait4 with
 * pid > 0, waitid with P_PID or P_PIDFD, no stops or continues asked for) waits on a
 * pidfd, which becomes readable when that process has exited: the waiter sleeps in the hub
 * at no cost and learns of the exit at once. Nothing reports the other waits (any child, a
 * process group, stops and continues) through an fd, so they ask again after a pause that
 * doubles from 1 ms to 16 ms: a child that ends soon is seen soon, and a long wait costs
 * some 60 cheap wake-ups a second. The pidfd waits ask again too, with a pause that grows
 * to 1 s, because one event a plain waitpid(pid) reports makes no pidfd readable: the
 * stop of a child the caller traces. Several green threads waiting for different children
 * each have their own pidfd or their own pause, independent of the others.
 *
 * What was not chosen, and why:
 *  - SIGCHLD as the wake-up. The shim sees the signal only when the program has a handler
 *    for it: with SIG_DFL the kernel discards it, and installing a handler then would
 *    change what the program's other calls see (a handler makes poll, epoll_wait,
 *    nanosleep and others fail with EINTR even with SA_RESTART, where SIG_DFL never
 *    interrupts anything); with SIG_IGN, or SIGCHLD blocked, no signal comes at all.
 *  - A pidfd for each child. Linux lists a process's children only with
 *    CONFIG_PROC_CHILDREN (/proc/PID/task/TID/children), which kernels may lack (the one
 *    this was written on does), and children that appear during the wait, and stops,
 *    would still need a poll.
 *  - The worker pool. A worker blocked in wait4 cannot be called back when a signal
 *    handler ends the caller's wait with EINTR: it would reap a child after the call has
 *    returned, and waits for long-lived children would hold workers that other jobs need. */
#include "process.h"

#include "cancel.h"
#include "clock.h"
#include "hub.h"
#include "real.h"
#include "scheduler.h"
#include "signals.h"
#include "timeout.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <unistd.h>

#define PAUSE_FIRST_NS 1000000        /* 1 ms */
#define PAUSE_LAST_NS 16000000        /* 16 ms, when nothing else tells of a change */
#define PAUSE_LAST_PIDFD_NS 1000000000 /* 1 s, when a pidfd tells of the exit */

/* One wait call as the program made it. */
struct child_wait {
    bool waitid;          /* waitid(2); otherwise wait4(2) */
    idtype_t idtype;      /* waitid's arguments */
    id_t id;
    siginfo_t *info;      /* never NULL: the program's, or the wait's own */
    pid_t pid;            /* wait4's arguments */
    int *status;
    struct rusage *usage;
    int options;          /* the program's options */
    bool scoped;          /* the program's own wait: its timeout scope ends it (timeout.h);
                           * not system's or pclose's, which must reap their child */
};

/* The program's call with WNOHANG added: > 0 when it reported a child (wait4: its pid),
 * 0 when there is nothing to report yet, or a negative errno. Natively the blocking call
 * writes status, rusage and siginfo only when it returns; so does this, except that waitid
 * writes the siginfo of "nothing yet", which the kernel also writes when waitid fails. */
static long attempt(const struct child_wait *w)
{
    if (!w->waitid) {
        pid_t r = gp__real.wait4(w->pid, w->status, w->options | WNOHANG, w->usage);
        return r < 0 ? -errno : r;
    }
    /* With WNOHANG and nothing to report the kernel sets si_pid to 0 (waitid(2)). */
    if (gp__real.waitid(w->idtype, w->id, w->info, w->options | WNOHANG) < 0)
        return -errno;
    return w->info->si_pid != 0;
}

/* Whether the exit of one particular process ends the wait, so that a pidfd tells of it. */
static bool single_process(const struct child_wait *w)
{
    if (!w->waitid)
        return w->pid > 0;
    return (w->options & WEXITED) && (w->idtype == P_PID || w->idtype == P_PIDFD);
}

/* Whether stops or continues end the wait too: no pidfd tells of those. */
static bool stops_too(const struct child_wait *w) { return w->options & (WUNTRACED | WCONTINUED); }

/* An fd that becomes readable when the waited-for process exits: the program's own pidfd
 * (*own false) or a new one, or -1 when none can be had (pidfd_open refuses a thread, the
 * fd table is full, the kernel predates pidfds or valgrind does not know them). */
static int exit_fd(const struct child_wait *w, bool *own)
{
    *own = !(w->waitid && w->idtype == P_PIDFD);
    if (!*own)
        return (int)w->id;
    return pidfd_open(w->waitid ? (pid_t)w->id : w->pid, 0);
}

static void drop_exit_fd(int *fd, bool own)
{
    if (*fd >= 0 && own)
        gp__real.close(*fd);
    *fd = -1;
}

static long wait_for_child(const struct child_wait *w)
{
    long r = attempt(w);
    if (r != 0)
        return r;
    if (w->options & WNOHANG) {
        /* "Not yet": the others have a turn first (shim.h: gp_not_yet), as a program may
         * look in a loop for a child that another of its threads makes exit. */
        gp__sched_yield();
        return 0;
    }
    struct gp_thread *self = gp__current;
    bool watch_exit = single_process(w);
    int fd = -1;
    bool own_fd = false;
    int64_t pause = PAUSE_FIRST_NS;
    for (;;) {
        if (watch_exit && fd < 0) {
            fd = exit_fd(w, &own_fd);
            watch_exit = fd >= 0;
        }
        int64_t last = fd >= 0 && !stops_too(w) ? PAUSE_LAST_PIDFD_NS : PAUSE_LAST_NS;
        /* The handlers of signals that come meanwhile wait for this thread: they run
         * below, once the call has looked for a child. */
        gp__signal_enter_wait(self, GP_INTR_UNLESS_RESTART);
        int64_t deadline = gp__deadline_after(pause);
        if (w->scoped)
            deadline = gp__timeout_bound(deadline);
        enum gp_wake why = fd >= 0 ? gp__hub_wait_fd_bare(fd, GP_HUB_READ, deadline)
                                   : gp__hub_park_until(deadline, GP_INTR_NEVER);
        gp__signal_leave_wait(self);
        /* The kernel looks for a child to report before it looks at signals: a child that
         * ended together with a handler's signal is reported, and the handler runs after
         * the call (signal(7): with SA_RESTART a wait goes on after the handler). */
        r = attempt(w);
        if (why == GP_WAKE_TIMEOUT) {
            pause = pause * 2 < last ? pause * 2 : last;
        } else if (why == GP_WAKE_READY && r == 0 && fd >= 0) {
            /* The process has exited and there is nothing to report: another process
             * traces it and reports its exit to us later. From now on only a poll tells. */
            drop_exit_fd(&fd, own_fd);
            watch_exit = false;
        }
        if (gp__signal_has_deferred(self)) {
            drop_exit_fd(&fd, own_fd); /* a handler may siglongjmp out of the call */
            if (gp__signal_run_deferred(self) == GP_HANDLERS_INTERRUPT && r == 0)
                return -EINTR;
        }
        /* Woken for pthread_cancel with nothing to report: the call ends as a handler would
         * end it, and the shim acts on the request. */
        if (r == 0 && why == GP_WAKE_INTERRUPT && gp__cancel_due())
            r = -EINTR;
        if (r == 0 && w->scoped)
            r = gp__timeout_check(); /* the scope's deadline passed: -ETIMEDOUT */
        if (r != 0) {
            drop_exit_fd(&fd, own_fd);
            return r;
        }
    }
}

pid_t gp__process_wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    struct child_wait w = {.pid = pid, .status = status, .usage = usage, .options = options,
                           .scoped = true};
    return (pid_t)wait_for_child(&w);
}

/* system's wait for its shell, which no timeout scope cuts short: the child is reaped. */
static pid_t reap(pid_t pid, int *status)
{
    struct child_wait w = {.pid = pid, .status = status};
    return (pid_t)wait_for_child(&w);
}

int gp__process_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    siginfo_t own;
    struct child_wait w = {.waitid = true, .idtype = idtype, .id = id,
                           .info = info ? info : &own, .options = options, .scoped = true};
    long r = wait_for_child(&w);
    return r < 0 ? (int)r : 0;
}

/* ---- system ---- */

/* As glibc keeps them (static intr, quit and sa_refcntr in system.c): SIGINT and SIGQUIT
 * are ignored from the moment the first of several concurrent calls starts until the last
 * one ends, which restores the actions the first one found. */
static struct {
    int running;             /* system() calls under way in green threads */
    struct sigaction intr;   /* the program's SIGINT action before the first */
    struct sigaction quit;   /* and its SIGQUIT action */
} shell;

/* Runs /bin/sh -c command and waits for it. Returns its status or -1, as system does. */
static int run_shell(const char *command, int *error)
{
    static const struct sigaction ignore = {.sa_handler = SIG_IGN};
    *error = 0;
    if (shell.running++ == 0) {
        gp__signal_action(SIGINT, &ignore, &shell.intr);
        gp__signal_action(SIGQUIT, &ignore, &shell.quit);
    }
    /* The shell gets SIGINT and SIGQUIT as the program had them, except that it gets the
     * default action where the program had a handler. (glibc also blocks SIGCHLD in the
     * calling thread meanwhile, so that a handler of the program's cannot run there and
     * reap the shell; the process's other threads, which natively take the signal then,
     * are green threads on this same OS thread: the mask is left alone.) */
    sigset_t reset;
    sigemptyset(&reset);
    if (shell.intr.sa_handler != SIG_IGN)
        sigaddset(&reset, SIGINT);
    if (shell.quit.sa_handler != SIG_IGN)
        sigaddset(&reset, SIGQUIT);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigdefault(&attr, &reset);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    /* posix_spawn's child shares this memory until it execs, but runs no code of the
     * shim's: it calls glibc's internal functions only (libc.so calls nothing the shim
     * interposes through its PLT: `objdump -R` lists the malloc family and ld.so's, glibc
     * 2.36), with every signal blocked until it has reset the handlers. Meanwhile the
     * kernel holds the calling OS thread until the exec (CLONE_VFORK): a short wait. */
    char *const argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid;
    int spawn_error = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    int status;
    if (spawn_error == 0) {
        pid_t r;
        while ((r = reap(pid, &status)) == -EINTR && !gp__cancel_due())
            ;
        if (r == -EINTR) {
            /* Cancelled: as glibc's cleanup handler does, the shell is killed and reaped
             * (SIGKILL: that wait is short), and the actions are restored below. The shim
             * then acts on the request. */
            kill(pid, SIGKILL);
            while (reap(pid, NULL) == -EINTR)
                ;
        }
        if (r < 0) {
            status = -1;
            *error = -r;
        }
    } else {
        /* POSIX: a shell that cannot be started is reported as if it ran _exit(127). */
        status = W_EXITCODE(127, 0);
        *error = spawn_error;
    }
    if (--shell.running == 0) {
        int r = gp__signal_action(SIGINT, &shell.intr, NULL);
        if (r == 0)
            r = gp__signal_action(SIGQUIT, &shell.quit, NULL);
        if (r < 0) {
            status = -1;
            *error = -r;
        }
    }
    return status;
}

int gp__process_system(const char *command, int *error)
{
    /* system(NULL) asks whether a shell is there: glibc runs "exit 0" to find out. */
    if (!command)
        return run_shell("exit 0", error) == 0;
    return run_shell(command, error);
}

/* ---- popen streams ---- */

/* glibc's popen stream (struct _IO_proc_file in libio/iopopen.c, checked against glibc
 * 2.36): the FILE, the jump table that makes it a popen stream (_IO_proc_jumps, which
 * glibc does not export), then the child's pid. */
struct proc_file {
    FILE file;
    const void *jumps;
    pid_t pid;
};

static const void *proc_jumps; /* from a stream that popen returned */

void gp__process_popen_opened(FILE *stream)
{
    __atomic_store_n(&proc_jumps, ((const struct proc_file *)stream)->jumps, __ATOMIC_RELAXED);
}

/* The child of a popen stream, or -1 for any other stream. */
static pid_t popen_child(FILE *stream)
{
    const struct proc_file *p = (const struct proc_file *)stream;
    const void *jumps = __atomic_load_n(&proc_jumps, __ATOMIC_RELAXED);
    return jumps && p->jumps == jumps ? p->pid : -1;
}

/* Puts a placeholder in place of the stream's pipe and waits for the child, unless there
 * is no fd for the placeholder. */
static void await_popen_child(FILE *stream, pid_t child)
{
    /* The placeholder keeps the fd number taken until glibc's close closes it. It is
     * close-on-exec: a program another green thread executes meanwhile does not get it. */
    int fd = stream->_fileno;
    int placeholder = eventfd(0, EFD_CLOEXEC);
    if (placeholder < 0)
        return;
    gp__hub_fd_closing(fd); /* what close(fd) does for green threads waiting on the pipe */
    int replaced = dup3(placeholder, fd, O_CLOEXEC);
    gp__real.close(placeholder);
    if (replaced < 0)
        return;
    /* WNOWAIT leaves the child for glibc's own waitpid, which then returns at once; like
     * that waitpid, the wait goes on after signal handlers. */
    siginfo_t info;
    struct child_wait w = {.waitid = true, .idtype = P_PID, .id = (id_t)child, .info = &info,
                           .options = WEXITED | WNOWAIT};
    while (wait_for_child(&w) == -EINTR)
        ;
}

void gp__process_popen_closing(FILE *stream)
{
    pid_t child = popen_child(stream);
    if (child < 0)
        return;
    /* fclose leaves errno as glibc's would: a failed flush's, or the program's. */
    int saved = errno;
    await_popen_child(stream, child);
    errno = saved;
}
