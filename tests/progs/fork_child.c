/* fork from a threaded program: the child has exactly the thread that called fork, and can
 * wait, sleep and start threads of its own, while the parent's threads (one sleeping in a
 * loop, one blocked reading a pipe at the moment of the fork) never run in the child. */
#include "thread_prog.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static int fds[2];
static atomic_int ticks;

static void *tick(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        usleep(20000);
        ticks++;
    }
    return NULL;
}

static void *read_one(void *arg)
{
    (void)arg;
    char c;
    return (void *)(intptr_t)read(fds[0], &c, 1);
}

static void *return_seven(void *arg)
{
    (void)arg;
    usleep(30000);
    return (void *)7;
}

static void child(void)
{
    int ticks_at_fork = ticks;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    struct timespec at = deadline_in(CLOCK_REALTIME, 100);
    int r = pthread_cond_timedwait(&c, &m, &at);
    pthread_mutex_unlock(&m);
    printf("child: cond timedwait: %s\n", error_name(r));
    pthread_t t = start_thread(NULL, return_seven, NULL);
    printf("child: a thread of its own returned %ld\n", (long)(intptr_t)join_or_die(t));
    usleep(150000);
    printf("child: the parent's threads did not run here: %s\n", yes_no(ticks == ticks_at_fork));
    fflush(stdout);
    exit(0);
}

int main(void)
{
    must_succeed(pipe(fds) ? errno : 0, "pipe");
    pthread_t ticker = start_thread(NULL, tick, NULL);
    pthread_t reader = start_thread(NULL, read_one, NULL);
    usleep(10000); /* the reader is waiting on the pipe, the ticker between ticks */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        child();
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    printf("parent: the child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    must_succeed(write(fds[1], "x", 1) == 1 ? 0 : errno, "write");
    printf("parent: its reader read %ld byte\n", (long)(intptr_t)join_or_die(reader));
    join_or_die(ticker);
    printf("parent: its ticker ticked %d times\n", (int)ticks);
    return 0;
}
