/* A thread blocked in pthread_join (a cancellation point) gets a signal whose handler runs
 * and returns, and is cancelled right after, before it has run again. Natively the join is
 * cancelled. Under the shim the signal made the thread runnable only to run its handler,
 * and a cancellation request that came then must still end the join, not be lost when the
 * join parks again. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int hold[2];
/* Natively the cancellation may act before or after the handler: nothing printed says which. */
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled = 1;
}

/* Runs until main closes its end of the pipe. */
static void *holder(void *arg)
{
    (void)arg;
    char c;
    if (read(hold[0], &c, 1) != 0)
        exit(1);
    return NULL;
}

static void *joiner(void *arg)
{
    pthread_join(*(pthread_t *)arg, NULL);
    printf("joiner: join returned\n");
    return NULL;
}

int main(void)
{
    alarm(10);
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    if (pipe(hold))
        return 1;
    pthread_t h, j;
    if (pthread_create(&h, NULL, holder, NULL) || pthread_create(&j, NULL, joiner, &h))
        return 1;
    /* Until the joiner waits in pthread_join (bounded). */
    for (int i = 0; i < 100; i++) {
        usleep(1000);
        sched_yield();
    }
    pthread_kill(j, SIGUSR1);
    pthread_cancel(j);
    void *res;
    int r = pthread_join(j, &res);
    printf("join of the joiner: %d, %s\n", r, res == PTHREAD_CANCELED ? "cancelled" : "returned");
    close(hold[1]);
    pthread_join(h, NULL);
    printf("done\n");
    return 0;
}
