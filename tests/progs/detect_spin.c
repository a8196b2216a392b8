/* A thread that waits for another by spinning on an atomic flag, with every signal blocked
 * (as the worker threads of many daemons run). Natively the setter thread sets the flag
 * after a short sleep and the spinner sees it. Under the shim the setter can never run while
 * the spinner holds the one OS thread: the spinner gives up after SPIN_LIMIT_S of wall time
 * (a bound, so that the program ends by itself) and says so; with GREENPATCH_BLOCK_WARN_MS
 * the blocking detector names it meanwhile. */
#include "detect_util.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#define SPIN_LIMIT_S 1.5

static atomic_int flag;

/* Returns 1 once f is set, 0 when limit_s seconds went by without it. */
__attribute__((noinline)) int spin_until_set(atomic_int *f, double limit_s)
{
    double start = detect_now_s();
    while (!atomic_load_explicit(f, memory_order_acquire))
        if (detect_now_s() - start > limit_s)
            return 0;
    return 1;
}

static void *spinner(void *unused)
{
    (void)unused;
    pthread_setname_np(pthread_self(), "spinner");
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    return (void *)(intptr_t)spin_until_set(&flag, SPIN_LIMIT_S);
}

static void *setter(void *unused)
{
    (void)unused;
    usleep(20000);
    atomic_store_explicit(&flag, 1, memory_order_release);
    return NULL;
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    pthread_t s = detect_start(spinner, NULL);
    pthread_t t = detect_start(setter, NULL);
    void *saw;
    pthread_join(s, &saw);
    pthread_join(t, NULL);
    if (saw)
        printf("spinner saw the flag\n");
    else
        printf("spinner gave up after %.1f s: the flag's setter never ran\n", SPIN_LIMIT_S);
    return 0;
}
