/* Edge cases of the pthread calls where the answer is easy to get wrong:
 *  - trylock of an error-checking mutex its caller holds: EBUSY (lock would say EDEADLK);
 *  - clocklock with a clock it does not support: EINVAL, and the free mutex stays free;
 *  - pthread_timedjoin_np with no time: waits, like pthread_join;
 *  - main detaches itself and exits with pthread_exit while a thread still runs: that
 *    thread finishes and the process exits 0. */
#include "thread_prog.h"

#include <unistd.h>

static void *sleep_then_return(void *arg)
{
    usleep(50000);
    return arg;
}

static void *last_words(void *arg)
{
    (void)arg;
    usleep(50000);
    printf("the last thread finished after main exited\n");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t m;
    pthread_mutex_init(&m, &attr);

    pthread_t t = start_thread(NULL, sleep_then_return, (void *)42);
    must_succeed(pthread_mutex_lock(&m), "lock");
    printf("trylock of an error-checking mutex its caller holds: %s\n",
           error_name(pthread_mutex_trylock(&m)));
    must_succeed(pthread_mutex_unlock(&m), "unlock");

    struct timespec zero = {0};
    int r = pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &zero);
    printf("clocklock with CLOCK_PROCESS_CPUTIME_ID: %s\n", error_name(r));
    r = pthread_mutex_trylock(&m);
    printf("and the mutex is still free: %s\n", yes_no(r == 0));
    if (r == 0)
        pthread_mutex_unlock(&m);

    void *result = NULL;
    r = pthread_timedjoin_np(t, &result, NULL);
    printf("pthread_timedjoin_np without a time: %s, result %ld\n", error_name(r), (long)result);

    start_thread(NULL, last_words, NULL);
    must_succeed(pthread_detach(pthread_self()), "detach self");
    printf("main detached itself and exits\n");
    fflush(stdout);
    pthread_exit(NULL);
}
