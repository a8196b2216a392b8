/* Waits for children and signals, while another thread runs (coop.h).
 *  1. A handler without SA_RESTART ends waitpid, wait and waitid with EINTR; with
 *     SA_RESTART the wait goes on (signal(7)) and returns the child.
 *  2. A SIGCHLD handler without SA_RESTART, for the very child waited for: the kernel finds
 *     the child before it looks at the signal, so the call returns the child, and the
 *     handler runs too.
 *  3. Stops and continues: WUNTRACED, WCONTINUED, waitid's WSTOPPED and WCONTINUED. */
#include "proc_util.h"

static struct child child;
static struct coop_ticker ticker;
static pthread_t main_thread;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

static void set_handler(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

static void signal_main(void *arg)
{
    (void)arg;
    must_succeed(pthread_kill(main_thread, SIGUSR1), "pthread_kill");
}

static void signal_main_then_end_child(void *arg)
{
    signal_main(arg);
    child_go(&child);
}

static void reap(const char *after)
{
    int status = 0;
    if (child.go >= 0)
        child_go(&child);
    pid_t r = waitpid(child.pid, &status, 0);
    printf("  then %s: %s, %s\n", after, wait_result(r, child.pid, errno), status_text(status));
}

/* ---- 1. EINTR, and SA_RESTART ---- */

enum wait_call { WAITPID, WAIT, WAITID };
static const char *const call_names[] = {"waitpid", "wait", "waitid"};

/* The main thread waits in call for a child that exits with code, while the ticker sends
 * it SIGUSR1 (handled with flags) and, with SA_RESTART, then lets the child end. */
static void wait_while_signalled(enum wait_call call, int flags, int code)
{
    bool restart = flags & SA_RESTART;
    set_handler(SIGUSR1, on_signal, flags);
    child_start(&child, code);
    handled = 0;
    char where[32];
    snprintf(where, sizeof where, "%s-%s", restart ? "restart" : "eintr", call_names[call]);
    coop_start(&ticker, where, restart ? signal_main_then_end_child : signal_main, NULL);
    int status = 0;
    siginfo_t si;
    pid_t reported;
    if (call == WAITID) {
        int r = waitid(P_PID, (id_t)child.pid, &si, WEXITED);
        reported = r == 0 ? si.si_pid : r;
        status = W_EXITCODE(si.si_status, 0);
    } else {
        reported = call == WAITPID ? waitpid(child.pid, &status, 0) : wait(&status);
    }
    int err = errno;
    printf("%s, handler %s SA_RESTART: %s", call_names[call], restart ? "with" : "without",
           wait_result(reported, child.pid, err));
    if (reported == child.pid)
        printf(", %s", status_text(status));
    else if (call == WAITID)
        printf(", si_pid %d", (int)si.si_pid); /* the kernel writes it when waitid fails */
    printf(", handler ran %d, ticks %d\n", (int)handled, coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    if (!restart)
        reap("waitpid");
}

static void interrupted(void)
{
    int code = 1;
    for (enum wait_call call = WAITPID; call <= WAITID; call++)
        wait_while_signalled(call, 0, code++);
    for (enum wait_call call = WAITPID; call <= WAITID; call++)
        wait_while_signalled(call, SA_RESTART, code++);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- 2. SIGCHLD for the child waited for ---- */

static void sigchld_for_the_child(void)
{
    set_handler(SIGCHLD, on_signal, 0);
    child_start(&child, 7);
    handled = 0;
    coop_start(&ticker, "sigchld-waitpid", child_go_wake, &child);
    int status = 0;
    pid_t r = waitpid(child.pid, &status, 0);
    printf("waitpid, SIGCHLD handler without SA_RESTART: %s, %s, handler ran %d\n",
           wait_result(r, child.pid, errno), status_text(status), (int)handled);
    CHECK(coop_finish(&ticker), "ticker");

    child_start(&child, 8);
    handled = 0;
    coop_start(&ticker, "sigchld-waitid", child_go_wake, &child);
    siginfo_t si;
    int ri = waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid(P_ALL), SIGCHLD handler without SA_RESTART: %s, si_status %d, "
           "handler ran %d\n",
           wait_result(ri, -1, errno), si.si_status, (int)handled);
    CHECK(coop_finish(&ticker), "ticker");
    set_handler(SIGCHLD, SIG_DFL, 0);
}

/* ---- 3. stops and continues ---- */

/* A child that stops itself after each of two words and exits after the third. */
static void start_stopping_child(void)
{
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    fflush(stdout);
    child.pid = fork();
    CHECK(child.pid >= 0, "fork");
    if (child.pid == 0) {
        for (int i = 0; i < 2; i++) {
            child_wait_for_word(fds[0]);
            raise(SIGSTOP);
        }
        child_wait_for_word(fds[0]);
        _exit(9);
    }
    close(fds[0]);
    child.go = fds[1];
}

static void say_word(void *arg)
{
    (void)arg;
    CHECK(write(child.go, "w", 1) == 1, "write");
}

static void stops_and_continues(void)
{
    int status = 0;
    siginfo_t si;
    start_stopping_child();
    coop_start(&ticker, "wuntraced", say_word, NULL);
    pid_t r = waitpid(child.pid, &status, WUNTRACED);
    printf("waitpid(WUNTRACED): %s, %s, ticks %d\n", wait_result(r, child.pid, errno),
           status_text(status), coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    CHECK(kill(child.pid, SIGCONT) == 0, "kill");
    r = waitpid(child.pid, &status, WCONTINUED);
    printf("waitpid(WCONTINUED): %s, %s\n", wait_result(r, child.pid, errno),
           status_text(status));

    coop_start(&ticker, "wstopped", say_word, NULL);
    int ri = waitid(P_PID, (id_t)child.pid, &si, WSTOPPED);
    printf("waitid(WSTOPPED): %s, si_code %s, si_status SIG%s, ticks %d\n",
           wait_result(ri, -1, errno), si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "other",
           sigabbrev_np(si.si_status), coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    CHECK(kill(child.pid, SIGCONT) == 0, "kill");
    ri = waitid(P_ALL, 0, &si, WCONTINUED);
    printf("waitid(P_ALL, WCONTINUED): %s, si_code %s, si_status SIG%s\n",
           wait_result(ri, -1, errno), si.si_code == CLD_CONTINUED ? "CLD_CONTINUED" : "other",
           sigabbrev_np(si.si_status));

    coop_start(&ticker, "exit-after-stops", say_word, NULL);
    r = waitpid(-1, &status, WUNTRACED | WCONTINUED);
    printf("waitpid(-1, WUNTRACED | WCONTINUED): %s, %s, ticks %d\n",
           wait_result(r, child.pid, errno), status_text(status), coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    close(child.go);
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    main_thread = pthread_self();
    interrupted();
    sigchld_for_the_child();
    stops_and_continues();
    return 0;
}
