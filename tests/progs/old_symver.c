/* A program bound to the symbol versions that binaries built on glibc < 2.34 carry: there,
 * pthread_create, pthread_join, pthread_detach, pthread_mutex_trylock and the *join_np calls
 * came from libpthread with versions GLIBC_2.2.5 / GLIBC_2.3.3, which glibc 2.34 kept as
 * compatibility versions next to new GLIBC_2.34 defaults. An interposer that exports only the
 * default versions is never called by such a binary. The .symver directives below bind this
 * program's references exactly as an old build would (the test checks them with objdump -T).
 * It passes a token round four threads through one cond each (pthread_cond_signal), uses
 * tryjoin, timedjoin, trylock and cond_timedwait on their old versions, and releases the
 * threads with pthread_cond_broadcast. With REPORT_OS_THREADS=1 it reports on stderr the OS
 * thread count while the four threads live. */
__asm__(".symver pthread_create, pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join, pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_detach, pthread_detach@GLIBC_2.2.5");
__asm__(".symver pthread_tryjoin_np, pthread_tryjoin_np@GLIBC_2.3.3");
__asm__(".symver pthread_timedjoin_np, pthread_timedjoin_np@GLIBC_2.3.3");
__asm__(".symver pthread_mutex_lock, pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver pthread_mutex_unlock, pthread_mutex_unlock@GLIBC_2.2.5");
__asm__(".symver pthread_mutex_trylock, pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver pthread_cond_init, pthread_cond_init@GLIBC_2.3.2");
__asm__(".symver pthread_cond_destroy, pthread_cond_destroy@GLIBC_2.3.2");
__asm__(".symver pthread_cond_wait, pthread_cond_wait@GLIBC_2.3.2");
__asm__(".symver pthread_cond_timedwait, pthread_cond_timedwait@GLIBC_2.3.2");
__asm__(".symver pthread_cond_signal, pthread_cond_signal@GLIBC_2.3.2");
__asm__(".symver pthread_cond_broadcast, pthread_cond_broadcast@GLIBC_2.3.2");

#include "thread_prog.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 4, ROUNDS = 3 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond[THREADS];
static int turn;           /* whose turn it is to hold the token; under lock */
static bool finished_rounds; /* the token went round ROUNDS times; under lock */
static pthread_cond_t finished_cond;
static pthread_cond_t release_cond;
static bool released;      /* under lock */

static void *pass_token(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_mutex_lock(&lock);
    for (int round = 0; round < ROUNDS; round++) {
        while (turn != me)
            pthread_cond_wait(&turn_cond[me], &lock);
        printf("round %d: thread %d has the token\n", round, me);
        turn = (me + 1) % THREADS;
        if (round == ROUNDS - 1 && me == THREADS - 1) {
            finished_rounds = true;
            pthread_cond_signal(&finished_cond);
        }
        pthread_cond_signal(&turn_cond[turn]);
    }
    while (!released)
        pthread_cond_wait(&release_cond, &lock);
    pthread_mutex_unlock(&lock);
    return (void *)(intptr_t)(100 + me);
}

static void *try_the_lock(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_trylock(&lock);
}

static void *return_nothing(void *arg) { return arg; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("old_symver start\n");
    for (int i = 0; i < THREADS; i++)
        pthread_cond_init(&turn_cond[i], NULL);
    pthread_cond_init(&release_cond, NULL);
    pthread_cond_init(&finished_cond, NULL);

    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, pass_token, (void *)(intptr_t)i);

    /* The threads are all alive until main releases them. */
    pthread_mutex_lock(&lock);
    while (!finished_rounds)
        pthread_cond_wait(&finished_cond, &lock);
    struct timespec soon = deadline_in(CLOCK_REALTIME, 20);
    printf("cond_timedwait with nobody signalling: %s\n",
           error_name(pthread_cond_timedwait(&finished_cond, &lock, &soon)));
    pthread_mutex_unlock(&lock);
    report_os_threads("4-alive");

    printf("tryjoin on a waiting thread: %s\n", error_name(pthread_tryjoin_np(threads[0], NULL)));
    soon = deadline_in(CLOCK_REALTIME, 20);
    printf("timedjoin on a waiting thread: %s\n",
           error_name(pthread_timedjoin_np(threads[0], NULL, &soon)));

    pthread_mutex_lock(&lock);
    void *trylock_rc = join_or_die(start_thread(NULL, try_the_lock, NULL));
    printf("trylock while main holds the mutex: %s\n", error_name((int)(intptr_t)trylock_rc));
    released = true;
    pthread_cond_broadcast(&release_cond);
    pthread_mutex_unlock(&lock);

    bool values_right = true;
    for (int i = 0; i < THREADS; i++)
        values_right = values_right && join_or_die(threads[i]) == (void *)(intptr_t)(100 + i);
    printf("joined with their values: %s\n", yes_no(values_right));

    pthread_t detached = start_thread(NULL, return_nothing, NULL);
    printf("pthread_detach: %s\n", error_name(pthread_detach(detached)));

    for (int i = 0; i < THREADS; i++)
        pthread_cond_destroy(&turn_cond[i]);
    pthread_cond_destroy(&release_cond);
    pthread_cond_destroy(&finished_cond);
    return 0;
}
