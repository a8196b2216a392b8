/* Every wait call while another thread runs. The main thread waits for a child that ends
 * only when the ticker thread (coop.h) tells it to: under the shim, where both threads
 * share one OS thread, the call returns at all only if it let the ticker run. What the
 * calls report (pid, status, rusage, siginfo, errors) is printed, to be compared with the
 * native run.
 *  1. waitpid for the child, for any child and for the process group; wait; wait3 and
 *     wait4 with their rusage; waitid with P_PID, P_ALL, P_PGID and P_PIDFD.
 *  2. waitid with WNOWAIT leaves the child for waitpid; WNOHANG says 0 while it runs.
 *  3. ECHILD without children, EINVAL for options the kernel refuses.
 *  4. A clone child with no exit signal, which only __WALL and __WCLONE wait for. */
#include "proc_util.h"

#include <sched.h>
#include <sys/pidfd.h>
#include <sys/resource.h>

static struct child child;
static struct coop_ticker ticker;

/* A child that ends with code once the ticker has ticked. */
static void start(const char *where, int code)
{
    child_start(&child, code);
    coop_start(&ticker, where, child_go_wake, &child);
}

static void finish(void) { CHECK(coop_finish(&ticker), "ticker"); }

static void print_wait(const char *call, pid_t r, int err, int status)
{
    printf("%s: %s, %s, ticks %d\n", call, wait_result(r, child.pid, err), status_text(status),
           coop_ticks(&ticker));
    finish();
}

static void print_siginfo(const char *call, int r, int err, const siginfo_t *si)
{
    printf("%s: %s, si_signo %s, si_code %s, si_status %d, si_pid is the child: %s, "
           "ticks %d\n",
           call, wait_result(r, -1, err), sigabbrev_np(si->si_signo),
           si->si_code == CLD_EXITED ? "CLD_EXITED" : "other", si->si_status,
           yes_no(si->si_pid == child.pid), coop_ticks(&ticker));
    finish();
}

/* ---- 1. each call ---- */

static void wait_calls(void)
{
    int status = 0;
    pid_t r;
    start("waitpid", 7);
    r = waitpid(child.pid, &status, 0);
    print_wait("waitpid(pid)", r, errno, status);

    start("waitpid-any", 8);
    r = waitpid(-1, &status, 0);
    print_wait("waitpid(-1)", r, errno, status);

    start("waitpid-group", 9);
    r = waitpid(0, &status, 0);
    print_wait("waitpid(0)", r, errno, status);

    start("waitpid-pgid", 10);
    r = waitpid(-getpgid(0), &status, 0);
    print_wait("waitpid(-pgid)", r, errno, status);

    start("wait", 11);
    r = wait(&status);
    print_wait("wait", r, errno, status);

    struct rusage usage = {.ru_maxrss = -1};
    start("wait3", 12);
    r = wait3(&status, 0, &usage);
    printf("wait3 rusage filled in: %s\n", yes_no(usage.ru_maxrss > 0));
    print_wait("wait3", r, errno, status);

    usage.ru_maxrss = -1;
    start("wait4", 13);
    r = wait4(child.pid, &status, 0, &usage);
    printf("wait4 rusage filled in: %s\n", yes_no(usage.ru_maxrss > 0));
    print_wait("wait4(pid)", r, errno, status);
}

static void waitid_calls(void)
{
    siginfo_t si;
    int r;
    start("waitid-pid", 14);
    r = waitid(P_PID, (id_t)child.pid, &si, WEXITED);
    print_siginfo("waitid(P_PID)", r, errno, &si);

    start("waitid-all", 15);
    r = waitid(P_ALL, 0, &si, WEXITED);
    print_siginfo("waitid(P_ALL)", r, errno, &si);

    start("waitid-pgid", 16);
    r = waitid(P_PGID, (id_t)getpgid(0), &si, WEXITED);
    print_siginfo("waitid(P_PGID)", r, errno, &si);

    start("waitid-own-group", 17);
    r = waitid(P_PGID, 0, &si, WEXITED);
    print_siginfo("waitid(P_PGID, 0)", r, errno, &si);

    start("waitid-pidfd", 18);
    int pidfd = pidfd_open(child.pid, 0);
    CHECK(pidfd >= 0, "pidfd_open");
    r = waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
    print_siginfo("waitid(P_PIDFD)", r, errno, &si);
    close(pidfd);

    /* The program need not want the siginfo. */
    start("waitid-no-info", 19);
    r = waitid(P_PID, (id_t)child.pid, NULL, WEXITED);
    printf("waitid(P_PID, NULL info): %d, ticks %d\n", r, coop_ticks(&ticker));
    finish();
    pid_t gone = waitpid(child.pid, NULL, WNOHANG);
    printf("the child is gone after it: %s\n", error_name(gone < 0 ? errno : 0));
}

/* ---- 2. WNOWAIT and WNOHANG ---- */

static void nowait_and_nohang(void)
{
    siginfo_t si;
    int status = 0;
    start("waitid-nowait", 20);
    int r = waitid(P_PID, (id_t)child.pid, &si, WEXITED | WNOWAIT);
    print_siginfo("waitid(P_PID, WNOWAIT)", r, errno, &si);
    pid_t w = waitpid(child.pid, &status, WNOHANG);
    printf("then waitpid(pid, WNOHANG): %s, %s\n", wait_result(w, child.pid, errno),
           status_text(status));

    child_start(&child, 21);
    w = waitpid(child.pid, &status, WNOHANG);
    printf("waitpid(pid, WNOHANG) while the child runs: %s\n", wait_result(w, child.pid, errno));
    memset(&si, 0xff, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    printf("waitid(P_ALL, WNOHANG) while the child runs: %d, si_pid %d, si_signo %d\n", r,
           (int)si.si_pid, si.si_signo);
    coop_start(&ticker, "nohang", child_go_wake, &child);
    w = waitpid(child.pid, &status, 0);
    print_wait("then waitpid(pid)", w, errno, status);
}

/* ---- 3. errors ---- */

/* Prints a call's result; errno is read once the call has returned. */
static void show(const char *what, long r)
{
    int err = errno;
    printf("%s: %s\n", what, wait_result((pid_t)r, 0, err));
}

static void errors(void)
{
    /* The ticker only makes the calls those of a program with several threads. */
    coop_start(&ticker, "errors", NULL, NULL);
    int status;
    siginfo_t si;
    show("no children: waitpid(-1)", waitpid(-1, &status, 0));
    show("no children: wait", wait(&status));
    show("no children: wait3", wait3(&status, 0, NULL));
    show("no children: waitid(P_ALL)", waitid(P_ALL, 0, &si, WEXITED));
    show("not a child: waitpid(parent)", waitpid(getppid(), &status, 0));
    show("bad options: waitpid(-1, WEXITED)", waitpid(-1, &status, WEXITED));
    show("bad options: waitid(P_ALL, 0)", waitid(P_ALL, 0, &si, 0));
    show("bad idtype: waitid(42)", waitid((idtype_t)42, 0, &si, WEXITED));
    finish();
}

/* ---- 4. clone children ---- */

/* A clone child gets none of the fork handlers (it is no fork to glibc), so it runs no
 * code of a library's: it ends at once. (It cannot exec either: an exec makes it an
 * ordinary child that reports with SIGCHLD.) */
static int end_at_once(void *code) { return *(int *)code; }

static void clone_child(const char *name, int option, int code)
{
    enum { STACK = 64 * 1024 };
    static char stack[STACK] __attribute__((aligned(16)));
    int status = 0;
    /* No exit signal: a "clone" child in wait(2)'s words. */
    child.pid = clone(end_at_once, stack + STACK, 0, &code);
    CHECK(child.pid > 0, "clone");
    coop_start(&ticker, name, NULL, NULL);
    pid_t r = waitpid(child.pid, &status, 0);
    printf("clone child: waitpid(pid, 0): %s\n", wait_result(r, child.pid, errno));
    r = waitpid(child.pid, &status, option);
    printf("clone child: waitpid(pid, %s): %s, %s\n", name, wait_result(r, child.pid, errno),
           status_text(status));
    finish();
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    wait_calls();
    waitid_calls();
    nowait_and_nohang();
    errors();
    clone_child("__WALL", __WALL, 23);
    clone_child("__WCLONE", __WCLONE, 24);
    return 0;
}
