/* daemon() from a program with threads: the parent exits at once with status 0, the child
 * goes on in a session of its own with only the calling thread, and can use threads: it
 * starts one that sleeps while it waits in pthread_join, then reports its OS threads
 * ("os-threads daemon": 1, natively as under the shim) and exits. stdout and stderr are
 * kept (noclose), so the test sees what the child prints. */
#include "thread_prog.h"

#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

/* A thread of the parent's that waits for good: it must not come along into the child. */
static void *wait_for_good(void *arg)
{
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return arg;
}

static void *sleep_a_little(void *arg)
{
    usleep(20000);
    return arg;
}

int main(void)
{
    alarm(10);
    start_thread(NULL, wait_for_good, NULL);
    pid_t parent = getpid();
    printf("before daemon()\n");
    fflush(stdout);
    if (daemon(1, 1) != 0) {
        printf("FAIL: daemon: %s\n", error_name(errno));
        return 1;
    }
    /* Only the child gets here: the parent has exited in daemon(). */
    alarm(10); /* a fork child does not inherit the parent's */
    printf("daemon: another process: %s, a session of its own: %s\n",
           yes_no(getpid() != parent), yes_no(getsid(0) == getpid()));
    report_os_threads("daemon");
    pthread_t t = start_thread(NULL, sleep_a_little, (void *)7);
    printf("daemon: its own thread slept and returned %ld\n", (long)(intptr_t)join_or_die(t));
    return 0;
}
