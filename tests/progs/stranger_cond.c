/* A thread that glibc starts itself (a timer's SIGEV_THREAD callback, which under the shim
 * stays an OS thread) signals a condition variable that a green thread waits on: the
 * waiter wakes, as natively, instead of sleeping through the signal. */
#include "thread_prog.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    usleep(300000);
    return NULL;
}

int main(void)
{
    pthread_t other = start_thread(NULL, idle, NULL); /* so that main's wait is a green one */
    bool signalled;
    int r = wait_for_a_timer_thread(&signalled);
    printf("woken by the timer thread's signal: %s (%s)\n", yes_no(signalled), error_name(r));
    join_or_die(other);
    return 0;
}
