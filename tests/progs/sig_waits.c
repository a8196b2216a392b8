/* Each call that waits for a signal, in the main thread, while a second thread ticks and
 * then sends the signal that ends the wait (coop.h): under the shim both are green threads
 * on one OS thread, so the call returning at all proves that it let the other run.
 *  - sigwait, sigwaitinfo and sigtimedwait take a signal that every thread blocks, sent to
 *    the process (kill, sigqueue) while the other thread runs, or to the main thread
 *    (pthread_kill); sigtimedwait also times out (EAGAIN) and fails with EINTR when a
 *    handler for another signal runs;
 *  - sigsuspend and pause end when a handler has run; sigsuspend gives the mask back;
 *  - a read of a signalfd returns the signal that every thread blocks.
 * The signals waited for are blocked in main before any thread starts, so that every
 * thread blocks them, as such programs do. With REPORT_OS_THREADS=1 the ticker reports
 * the OS thread count while main waits. */
#include "coop.h"
#include "sig_util.h"

#include <sys/signalfd.h>

static pthread_t main_thread;

static void kill_process(void *sig)
{
    must_succeed(kill(getpid(), (int)(intptr_t)sig) ? errno : 0, "kill");
}

static void queue_usr2(void *unused)
{
    (void)unused;
    union sigval v = {.sival_int = 42};
    must_succeed(sigqueue(getpid(), SIGUSR2, v) ? errno : 0, "sigqueue");
}

static void kill_main(void *sig)
{
    must_succeed(pthread_kill(main_thread, (int)(intptr_t)sig), "pthread_kill");
}

static void print_ticks(const char *what, struct coop_ticker *t)
{
    int ticks = coop_ticks(t);
    printf("%s: the other thread ticked %d times meanwhile: %s\n", what, COOP_TICKS,
           yes_no(coop_finish(t) && ticks == COOP_TICKS));
}

static void check_sigwait(void)
{
    sigset_t set = set_of(SIGUSR1);
    struct coop_ticker t;
    coop_start(&t, "sigwait", kill_process, (void *)(intptr_t)SIGUSR1);
    int sig = 0;
    int r = sigwait(&set, &sig);
    printf("sigwait for SIGUSR1 sent to the process: %s %s\n", error_name(r), signal_name(sig));
    print_ticks("sigwait", &t);
}

static void check_sigwaitinfo(void)
{
    sigset_t set = set_of(SIGUSR2);
    struct coop_ticker t;
    coop_start(&t, "sigwaitinfo", queue_usr2, NULL);
    siginfo_t info;
    int r = sigwaitinfo(&set, &info);
    printf("sigwaitinfo for SIGUSR2 queued to the process: %s, code %s, value %d, from this "
           "process: %s\n",
           signal_name(r), si_code_name(info.si_code), info.si_value.sival_int,
           yes_no(info.si_pid == getpid()));
    print_ticks("sigwaitinfo", &t);
}

static void check_sigtimedwait(void)
{
    sigset_t set = set_of(SIGUSR1);
    struct timespec five_s = {.tv_sec = 5};
    struct coop_ticker t;
    coop_start(&t, "sigtimedwait", kill_main, (void *)(intptr_t)SIGUSR1);
    siginfo_t info;
    int r = sigtimedwait(&set, &info, &five_s);
    printf("sigtimedwait for SIGUSR1 sent to the main thread: %s, code %s\n", signal_name(r),
           si_code_name(info.si_code));
    print_ticks("sigtimedwait", &t);

    struct timespec short_wait = {.tv_nsec = 50000000};
    errno = 0;
    r = sigtimedwait(&set, &info, &short_wait);
    printf("sigtimedwait with nothing sent: %d %s\n", r, error_name(errno));
    struct timespec zero = {0};
    errno = 0;
    r = sigtimedwait(&set, &info, &zero);
    printf("sigtimedwait with a zero timeout: %d %s\n", r, error_name(errno));
    struct timespec bad = {.tv_nsec = 1000000000};
    errno = 0;
    r = sigtimedwait(&set, &info, &bad);
    printf("sigtimedwait with a bad timeout: %d %s\n", r, error_name(errno));

    /* A handler for SIGUSR2, which main does not block here, ends the wait for SIGUSR1. */
    install_handler(SIGUSR2, count_signal, SA_RESTART);
    unblock(SIGUSR2);
    handled = 0;
    coop_start(&t, "sigtimedwait-eintr", kill_process, (void *)(intptr_t)SIGUSR2);
    errno = 0;
    r = sigtimedwait(&set, &info, &five_s);
    printf("sigtimedwait when a handler for another signal runs (SA_RESTART): %d %s, handler "
           "ran %d\n",
           r, error_name(errno), (int)handled);
    print_ticks("sigtimedwait-eintr", &t);
    block(SIGUSR2);
}

static void check_sigsuspend(void)
{
    install_handler(SIGUSR1, count_signal, 0);
    handled = 0;
    sigset_t none;
    sigemptyset(&none);
    struct coop_ticker t;
    coop_start(&t, "sigsuspend", kill_process, (void *)(intptr_t)SIGUSR1);
    errno = 0;
    int r = sigsuspend(&none);
    printf("sigsuspend with SIGUSR1 unblocked for the wait: %d %s, handler ran %d, SIGUSR1 "
           "blocked again: %s\n",
           r, error_name(errno), (int)handled, yes_no(blocked(SIGUSR1)));
    print_ticks("sigsuspend", &t);
    signal(SIGUSR1, SIG_DFL);
}

static void check_pause(void)
{
    install_handler(SIGURG, count_signal, SA_RESTART);
    handled = 0;
    struct coop_ticker t;
    coop_start(&t, "pause", kill_process, (void *)(intptr_t)SIGURG);
    errno = 0;
    int r = pause();
    printf("pause until a handler runs (SA_RESTART): %d %s, handler ran %d\n", r,
           error_name(errno), (int)handled);
    print_ticks("pause", &t);
}

static void check_signalfd(void)
{
    sigset_t set = set_of(SIGUSR2);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    must_succeed(fd < 0 ? errno : 0, "signalfd");
    struct coop_ticker t;
    coop_start(&t, "signalfd", kill_process, (void *)(intptr_t)SIGUSR2);
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    printf("read of a signalfd for SIGUSR2: %zd bytes, %s, code %s\n", n,
           signal_name((int)si.ssi_signo), si_code_name(si.ssi_code));
    print_ticks("signalfd", &t);
    close(fd);
}

int main(void)
{
    alarm(SAFETY_ALARM_S);
    main_thread = pthread_self();
    block(SIGUSR1);
    block(SIGUSR2);
    check_sigwait();
    check_sigwaitinfo();
    check_sigtimedwait();
    check_sigsuspend();
    check_pause();
    check_signalfd();
    printf("nothing left pending: %s\n", yes_no(!is_pending(SIGUSR1) && !is_pending(SIGUSR2)));
    return 0;
}
