/* Helpers shared by the proc_* helper programs (tests/progs/proc_*.c): children that wait
 * for a word from the parent before they end, and the way the programs print a wait
 * status. Plain libc only: these programs stand for unmodified programs.
 *
 * Conventions: stdout carries only deterministic lines; a broken run prints "FAIL: ..."
 * and exits with status 1 (must_succeed and CHECK); every program ends itself with
 * alarm() if it hangs. */
#ifndef PROC_UTIL_H
#define PROC_UTIL_H

#include "coop.h"

#include <fcntl.h>
#include <sys/wait.h>

enum { PROC_SAFETY_ALARM_S = 10 };

#define CHECK(cond, what)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            printf("FAIL: %s:%d: %s (errno %s)\n", __FILE__, __LINE__, (what),              \
                   error_name(errno));                                                        \
            fflush(stdout);                                                                   \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

/* A child process that does nothing until the parent writes a byte to its pipe (or closes
 * it), then exits with the status it was given. */
struct child {
    pid_t pid;
    int go;    /* the parent's end of the child's pipe, or -1 once used */
};

/* What a child does before it exits: reads one byte from fd (signals interrupt nothing
 * here: the child has no handlers of the program's that end reads). */
static inline void child_wait_for_word(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
}

static inline void child_start(struct child *c, int exit_code)
{
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    fflush(stdout); /* or the child's copy of the buffer could be written twice */
    c->pid = fork();
    CHECK(c->pid >= 0, "fork");
    if (c->pid == 0) {
        child_wait_for_word(fds[0]);
        _exit(exit_code);
    }
    close(fds[0]);
    c->go = fds[1];
}

/* Lets the child end. */
static inline void child_go(struct child *c)
{
    CHECK(write(c->go, "g", 1) == 1, "write to the child");
    close(c->go);
    c->go = -1;
}

/* A coop_ticker's wake: the child ends. */
static inline void child_go_wake(void *c) { child_go(c); }

/* "exited 3", "killed by SIGKILL", "stopped by SIGSTOP", "continued". */
static inline const char *status_text(int status)
{
    static char text[64];
    if (WIFEXITED(status))
        snprintf(text, sizeof text, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(text, sizeof text, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
    else if (WIFSTOPPED(status))
        snprintf(text, sizeof text, "stopped by SIG%s", sigabbrev_np(WSTOPSIG(status)));
    else if (WIFCONTINUED(status))
        snprintf(text, sizeof text, "continued");
    else
        snprintf(text, sizeof text, "status %#x", status);
    return text;
}

/* A wait's result: "the child", "0", "-1 ECHILD", or "another pid". */
static inline const char *wait_result(pid_t r, pid_t child, int err)
{
    static char text[64];
    if (r == child && r > 0)
        return "the child";
    if (r < 0)
        snprintf(text, sizeof text, "-1 %s", error_name(err));
    else if (r == 0)
        return "0";
    else
        return "another pid";
    return text;
}

#endif
