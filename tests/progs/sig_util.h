/* Shared by the sig_* and syscall_* helper programs: installing handlers, a signal sent to
 * the process after a delay (a POSIX timer, as a program would use), masks read back, and
 * the safety alarm. Plain libc: these programs know nothing of the shim.
 *
 * SIGALRM is left at its default action in these programs: alarm() ends a run that hangs
 * (natively and under the shim alike), so the tests use other signals. */
#ifndef SIG_UTIL_H
#define SIG_UTIL_H

#include "thread_prog.h"

#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

enum { SAFETY_ALARM_S = 20 };

static atomic_int handled __attribute__((unused));

static inline void count_signal(int sig)
{
    (void)sig;
    handled++;
}

static inline void install_handler(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    must_succeed(sigaction(sig, &sa, NULL) ? errno : 0, "sigaction");
}

static inline sigset_t set_of(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

static inline void block(int sig)
{
    sigset_t s = set_of(sig);
    must_succeed(pthread_sigmask(SIG_BLOCK, &s, NULL), "pthread_sigmask");
}

static inline void unblock(int sig)
{
    sigset_t s = set_of(sig);
    must_succeed(pthread_sigmask(SIG_UNBLOCK, &s, NULL), "pthread_sigmask");
}

static inline bool blocked(int sig)
{
    sigset_t s;
    must_succeed(pthread_sigmask(SIG_BLOCK, NULL, &s), "pthread_sigmask");
    return sigismember(&s, sig);
}

static inline bool is_pending(int sig)
{
    sigset_t s;
    must_succeed(sigpending(&s) ? errno : 0, "sigpending");
    return sigismember(&s, sig);
}

/* sig for the process in ms milliseconds, from a POSIX timer (process-directed, as kill()
 * would send it). */
static inline timer_t signal_process_in_ms(int sig, long ms)
{
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
    timer_t timer;
    must_succeed(timer_create(CLOCK_MONOTONIC, &ev, &timer) ? errno : 0, "timer_create");
    struct itimerspec in = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}};
    must_succeed(timer_settime(timer, 0, &in, NULL) ? errno : 0, "timer_settime");
    return timer;
}

/* A second thread that stays alive and switching until stopped, so that every wait of the
 * program is a green one under the shim. It blocks every signal: those sent to the process
 * go to the threads each check means. */
static atomic_bool quiet_ticker_stop __attribute__((unused));

static inline void *quiet_ticker_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    must_succeed(pthread_sigmask(SIG_SETMASK, &all, NULL), "pthread_sigmask");
    while (!quiet_ticker_stop)
        usleep(2000);
    return NULL;
}

static inline pthread_t start_quiet_ticker(void)
{
    return start_thread(NULL, quiet_ticker_main, NULL);
}

static inline void stop_quiet_ticker(pthread_t ticker)
{
    quiet_ticker_stop = true;
    join_or_die(ticker);
}

static inline const char *signal_name(int sig)
{
    if (sig <= 0)
        return "none";
    const char *name = sigabbrev_np(sig);
    return name ? name : "?";
}

static inline const char *si_code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_TIMER: return "SI_TIMER";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "other";
    }
}

#endif
