/* The blocking detector's signal (the highest real-time signal the program leaves at its
 * default action) changes nothing the program can see of it: with GREENPATCH_BLOCK_WARN_MS
 * on, this program prints what it prints natively. It reads SIGRTMAX's action, blocks and
 * unblocks it, installs a handler and raises and queues the signal to itself, busy-waits
 * BUSY_S (long enough for the detector, asked with a short threshold, to report main: its
 * question must not reach the program's handler), and reads the action back; a thread
 * exists throughout, so the shim's scheduler (and the detector) run. */
#include "detect_util.h"

#include <signal.h>
#include <stdbool.h>

#define BUSY_S 0.4

static volatile sig_atomic_t handled, last_value;

static void on_rtmax(int sig, siginfo_t *info, void *uctx)
{
    (void)sig;
    (void)uctx;
    handled++;
    last_value = info->si_code == SI_QUEUE ? info->si_value.sival_int : -1;
}

static const char *action_name(const struct sigaction *a)
{
    if (a->sa_handler == SIG_DFL)
        return "default";
    if (a->sa_handler == SIG_IGN)
        return "ignored";
    return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == on_rtmax ? "the program's handler"
                                                                     : "SOMETHING ELSE";
}

static void *idle(void *arg)
{
    int *fds = arg;
    char c;
    return (void *)(long)read(fds[0], &c, 1); /* until main writes */
}

static bool rtmax_blocked(void)
{
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGRTMAX);
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    int fds[2];
    DETECT_CHECK(pipe(fds) == 0, "pipe");
    pthread_t t = detect_start(idle, fds);

    struct sigaction a;
    DETECT_CHECK(sigaction(SIGRTMAX, NULL, &a) == 0, "sigaction");
    printf("SIGRTMAX action at start: %s\n", action_name(&a));

    sigset_t rtmax;
    sigemptyset(&rtmax);
    sigaddset(&rtmax, SIGRTMAX);
    pthread_sigmask(SIG_BLOCK, &rtmax, NULL);
    printf("blocked after SIG_BLOCK: %s\n", rtmax_blocked() ? "yes" : "no");
    pthread_sigmask(SIG_UNBLOCK, &rtmax, NULL);
    printf("blocked after SIG_UNBLOCK: %s\n", rtmax_blocked() ? "yes" : "no");

    struct sigaction mine = {.sa_sigaction = on_rtmax, .sa_flags = SA_SIGINFO};
    sigemptyset(&mine.sa_mask);
    DETECT_CHECK(sigaction(SIGRTMAX, &mine, &a) == 0, "sigaction");
    printf("previous action reported by sigaction: %s\n", action_name(&a));
    DETECT_CHECK(sigaction(SIGRTMAX, NULL, &a) == 0, "sigaction");
    printf("SIGRTMAX action now: %s\n", action_name(&a));

    raise(SIGRTMAX);
    printf("handler runs after raise: %d time(s)\n", (int)handled);
    DETECT_CHECK(sigqueue(getpid(), SIGRTMAX, (union sigval){.sival_int = 7}) == 0, "sigqueue");
    printf("handler runs after sigqueue: %d time(s), value %d\n", (int)handled, (int)last_value);

    for (double start = detect_now_s(); detect_now_s() - start < BUSY_S;)
        ;
    printf("handler runs after a busy wait: %d time(s)\n", (int)handled);

    struct sigaction dfl = {.sa_handler = SIG_DFL};
    DETECT_CHECK(sigaction(SIGRTMAX, &dfl, &a) == 0, "sigaction");
    printf("action replaced by the default was: %s\n", action_name(&a));

    DETECT_CHECK(write(fds[1], "x", 1) == 1, "write");
    pthread_join(t, NULL);
    return 0;
}
