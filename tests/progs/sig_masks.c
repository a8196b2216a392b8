/* Signal masks are per thread, with other threads alive (under the shim every thread is a
 * green one on one OS thread):
 *  - a new thread starts with its creator's mask; pthread_sigmask and sigprocmask change
 *    the calling thread's mask only;
 *  - a signal the thread blocks stays pending (sigpending shows it, the handler has not
 *    run) and its handler runs before the pthread_sigmask that unblocks it returns;
 *  - a signal for a thread that blocks it (pthread_kill) is pending for that thread only;
 *    a signal for the process that every thread blocks is pending for all of them;
 *  - a signal for the process goes to the one thread that does not block it, whose wait it
 *    ends (EINTR), and its handler runs on that thread;
 *  - a handler runs with its sa_mask and its own signal added to the thread's mask, and the
 *    mask is back afterwards;
 *  - siglongjmp gives back the mask sigsetjmp saved; the BSD and System V mask calls act on
 *    the same mask;
 *  - fork keeps the caller's mask; exec from a thread keeps that thread's mask (the program
 *    execs itself with --after-exec, which prints the mask it started with). */
#include "sig_util.h"

#include <setjmp.h>
#include <sys/wait.h>

static pthread_t expected_thread;
static atomic_int handled_on_expected;
static bool handler_saw_own_blocked, handler_saw_mask_blocked;

static void note_where(int sig)
{
    handled++;
    if (pthread_equal(pthread_self(), expected_thread))
        handled_on_expected++;
    handler_saw_own_blocked = blocked(sig);
    handler_saw_mask_blocked = blocked(SIGWINCH);
}

static void install_noting(int sig)
{
    struct sigaction sa = {.sa_handler = note_where};
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGWINCH);
    must_succeed(sigaction(sig, &sa, NULL) ? errno : 0, "sigaction");
}

static void *report_inherited(void *arg)
{
    (void)arg;
    bool inherited = blocked(SIGUSR1);
    unblock(SIGUSR1);
    sigset_t s = set_of(SIGUSR2);
    must_succeed(sigprocmask(SIG_BLOCK, &s, NULL) ? errno : 0, "sigprocmask");
    printf("a new thread starts with its creator's mask: %s; it unblocks SIGUSR1 and blocks "
           "SIGUSR2 for itself: %s\n",
           yes_no(inherited), yes_no(!blocked(SIGUSR1) && blocked(SIGUSR2)));
    return NULL;
}

static void check_inheritance(void)
{
    block(SIGUSR1);
    join_or_die(start_thread(NULL, report_inherited, NULL));
    printf("the creator's mask is unchanged: SIGUSR1 blocked %s, SIGUSR2 blocked %s\n",
           yes_no(blocked(SIGUSR1)), yes_no(blocked(SIGUSR2)));
    unblock(SIGUSR1);
}

static void check_blocked_then_unblocked(void)
{
    install_noting(SIGUSR1);
    expected_thread = pthread_self();
    block(SIGUSR1);
    handled = handled_on_expected = 0;
    raise(SIGUSR1);
    printf("raise of a blocked signal: handler ran %d, pending: %s\n", (int)handled,
           yes_no(is_pending(SIGUSR1)));
    unblock(SIGUSR1);
    printf("after unblocking: handler ran %d (on this thread %d), pending: %s\n", (int)handled,
           (int)handled_on_expected, yes_no(is_pending(SIGUSR1)));
    printf("in the handler: its own signal blocked %s, its sa_mask blocked %s; after it: "
           "SIGWINCH blocked %s\n",
           yes_no(handler_saw_own_blocked), yes_no(handler_saw_mask_blocked),
           yes_no(blocked(SIGWINCH)));
}

/* The target of pthread_kill blocks the signal: it is pending for that thread only. */
static atomic_int stage;
static bool target_saw_pending, target_ran_on_unblock;

static void *blocking_target(void *arg)
{
    (void)arg;
    block(SIGUSR2);
    stage = 1;
    while (stage < 2)
        usleep(1000);
    target_saw_pending = is_pending(SIGUSR2);
    unblock(SIGUSR2);
    target_ran_on_unblock = handled_on_expected == 1;
    return NULL;
}

static void check_pending_for_one_thread(void)
{
    install_noting(SIGUSR2);
    handled = handled_on_expected = 0;
    pthread_t t = start_thread(NULL, blocking_target, NULL);
    expected_thread = t;
    while (stage < 1)
        usleep(1000);
    must_succeed(pthread_kill(t, SIGUSR2), "pthread_kill");
    bool pending_here = is_pending(SIGUSR2);
    stage = 2;
    join_or_die(t);
    printf("pthread_kill of a thread that blocks the signal: pending for it %s, for main %s; "
           "its handler ran on it when it unblocked: %s\n",
           yes_no(target_saw_pending), yes_no(pending_here), yes_no(target_ran_on_unblock));
}

static atomic_bool observer_saw_pending;

static void *observe_pending(void *arg)
{
    (void)arg;
    observer_saw_pending = is_pending(SIGUSR1);
    return NULL;
}

static void check_pending_for_the_process(void)
{
    block(SIGUSR1);
    handled = 0;
    must_succeed(kill(getpid(), SIGUSR1) ? errno : 0, "kill");
    join_or_die(start_thread(NULL, observe_pending, NULL));
    printf("a signal for the process that every thread blocks: pending for main %s, for another "
           "thread %s, handler ran %d\n",
           yes_no(is_pending(SIGUSR1)), yes_no(observer_saw_pending), (int)handled);
    sigset_t s = set_of(SIGUSR1);
    int sig = 0;
    must_succeed(sigwait(&s, &sig), "sigwait");
    unblock(SIGUSR1);
}

/* Main blocks the signal, the reader does not: the signal for the process is the reader's. */
static void *read_pipe(void *arg)
{
    int fd = *(int *)arg;
    char c;
    ssize_t r = read(fd, &c, 1);
    return (void *)(intptr_t)(r < 0 ? errno : 0);
}

static void check_the_thread_that_takes_it(void)
{
    install_noting(SIGUSR1);
    block(SIGUSR1);
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    handled = handled_on_expected = 0;
    unblock(SIGUSR1); /* the reader starts with SIGUSR1 unblocked */
    pthread_t reader = start_thread(NULL, read_pipe, &p[0]);
    block(SIGUSR1);
    expected_thread = reader;
    usleep(100000);
    must_succeed(kill(getpid(), SIGUSR1) ? errno : 0, "kill");
    int err = (int)(intptr_t)join_or_die(reader);
    printf("a signal for the process that only a reading thread takes: its read %s, handler "
           "ran %d, on that thread %d\n",
           error_name(err), (int)handled, (int)handled_on_expected);
    close(p[0]);
    close(p[1]);
    unblock(SIGUSR1);
}

static void check_siglongjmp(void)
{
    sigjmp_buf env;
    volatile int round = 0;
    if (sigsetjmp(env, 1) == 0) {
        block(SIGUSR2);
        round = 1;
        siglongjmp(env, 1);
    }
    printf("siglongjmp restores the mask sigsetjmp saved: SIGUSR2 blocked %s (round %d)\n",
           yes_no(blocked(SIGUSR2)), round);
}

/* Old programs still call these; the headers mark them deprecated. BSD masks hold signal
 * sig in bit sig - 1. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define BSD_MASK(sig) (1 << ((sig) - 1))

static void check_old_interfaces(void)
{
    int old = sigblock(BSD_MASK(SIGUSR1));
    bool bsd_blocked = blocked(SIGUSR1);
    sigsetmask(old);
    must_succeed(sighold(SIGUSR2) ? errno : 0, "sighold");
    bool sysv_held = blocked(SIGUSR2);
    must_succeed(sigrelse(SIGUSR2) ? errno : 0, "sigrelse");
    printf("sigblock %s, sigsetmask back %s, siggetmask agrees %s, sighold %s, sigrelse %s\n",
           yes_no(bsd_blocked), yes_no(!blocked(SIGUSR1)),
           yes_no(!(siggetmask() & BSD_MASK(SIGUSR1))), yes_no(sysv_held),
           yes_no(!blocked(SIGUSR2)));
}

static void *fork_with_own_mask(void *arg)
{
    (void)arg;
    block(SIGTTIN);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork child of a thread: SIGTTIN blocked %s, SIGUSR1 blocked %s\n",
               yes_no(blocked(SIGTTIN)), yes_no(blocked(SIGUSR1)));
        fflush(stdout);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

static const char *self_path;

static void *exec_with_own_mask(void *arg)
{
    (void)arg;
    block(SIGTTOU);
    fflush(stdout);
    execl(self_path, self_path, "--after-exec", (char *)NULL);
    perror("execl");
    exit(1);
}

int main(int argc, char **argv)
{
    alarm(SAFETY_ALARM_S);
    if (argc > 1 && strcmp(argv[1], "--after-exec") == 0) {
        printf("after exec from a thread: SIGTTOU blocked %s, SIGTTIN blocked %s\n",
               yes_no(blocked(SIGTTOU)), yes_no(blocked(SIGTTIN)));
        return 0;
    }
    self_path = argv[0];
    pthread_t ticker = start_quiet_ticker();
    report_os_threads("ticker-alive");
    check_inheritance();
    check_blocked_then_unblocked();
    check_pending_for_one_thread();
    check_pending_for_the_process();
    check_the_thread_that_takes_it();
    check_siglongjmp();
    check_old_interfaces();
    join_or_die(start_thread(NULL, fork_with_own_mask, NULL));
    printf("the forking thread's mask stayed its own: SIGTTIN blocked in main %s\n",
           yes_no(blocked(SIGTTIN)));
    start_thread(NULL, exec_with_own_mask, NULL);
    join_or_die(ticker); /* the exec ends it */
    return 1;
}
