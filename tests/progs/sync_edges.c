/* Edge cases of the pthread calls where the answer is easy to get wrong:
 *  - trylock of an error-checking mutex its caller holds: EBUSY (lock would say EDEADLK);
 *  - clocklock with a clock it does not support: EINVAL, and the free mutex stays free;
 *  - pthread_timedjoin_np with no time: waits, like pthread_join;
 *  - main detaches itself and exits with pthread_exit while two threads still run: after
 *    main is gone, one of them holds a mutex across a sleep while the other's trylock says
 *    EBUSY and its lock waits for the unlock (a wait the library must manage without main),
 *    then both finish and the process exits 0. */
#include "thread_prog.h"

#include <stdatomic.h>
#include <unistd.h>

/* main has long exited when the threads it leaves behind start on the mutex. */
#define AFTER_MAIN_EXITED_US 100000
#define HOLD_US 200000 /* long enough for the other thread to try, even on a busy machine */

static pthread_mutex_t contended = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool holder_has_it;
static atomic_bool holder_let_go;

static void *sleep_then_return(void *arg)
{
    usleep(50000);
    return arg;
}

static void *hold_the_mutex(void *arg)
{
    (void)arg;
    usleep(AFTER_MAIN_EXITED_US);
    must_succeed(pthread_mutex_lock(&contended), "lock");
    printf("after main exited, a thread locked a mutex and holds it\n");
    fflush(stdout);
    holder_has_it = true;
    usleep(HOLD_US); /* the other thread waits in its lock meanwhile */
    holder_let_go = true;
    must_succeed(pthread_mutex_unlock(&contended), "unlock");
    return NULL;
}

static void *contend_for_the_mutex(void *arg)
{
    (void)arg;
    while (!holder_has_it)
        usleep(1000);
    int busy = pthread_mutex_trylock(&contended);
    must_succeed(pthread_mutex_lock(&contended), "lock");
    printf("the other thread's trylock: %s, its lock returned once the holder let go: %s\n",
           error_name(busy), yes_no(holder_let_go));
    fflush(stdout);
    must_succeed(pthread_mutex_unlock(&contended), "unlock");
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

    start_thread(NULL, hold_the_mutex, NULL);
    start_thread(NULL, contend_for_the_mutex, NULL);
    must_succeed(pthread_detach(pthread_self()), "detach self");
    printf("main detached itself and exits\n");
    fflush(stdout);
    pthread_exit(NULL);
}
