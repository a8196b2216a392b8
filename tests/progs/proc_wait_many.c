/* Many threads waiting for children at once.
 *  1. 50 threads each fork a child and wait for it with waitpid(pid); the children all
 *     wait for a byte from one pipe, which the main thread writes once every thread has
 *     forked. Each thread must get its own child's status. Under the shim the main thread
 *     can write only because the 50 waits let it run.
 *  2. 10 threads each call waitpid(-1) once for 10 children of the main thread's: between
 *     them they reap every child exactly once, each with its status. */
#include "proc_util.h"

enum { OWN_CHILDREN = 50, ANY_CHILDREN = 10 };

static int go[2]; /* every child reads one byte from go[0] */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t forked = PTHREAD_COND_INITIALIZER;
static int forked_count;

static pid_t fork_reader(int exit_code)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        child_wait_for_word(go[0]);
        _exit(exit_code);
    }
    return pid;
}

/* ---- 1. each thread its own child ---- */

static void *fork_and_wait(void *arg)
{
    int code = (int)(intptr_t)arg;
    pid_t pid = fork_reader(code);
    pthread_mutex_lock(&lock);
    forked_count++;
    pthread_cond_signal(&forked);
    pthread_mutex_unlock(&lock);
    int status;
    pid_t r = waitpid(pid, &status, 0);
    return (void *)(intptr_t)(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == code);
}

static void own_children(void)
{
    CHECK(pipe2(go, O_CLOEXEC) == 0, "pipe2");
    fflush(stdout);
    pthread_t threads[OWN_CHILDREN];
    for (int i = 0; i < OWN_CHILDREN; i++)
        threads[i] = start_thread(NULL, fork_and_wait, (void *)(intptr_t)(i + 1));
    pthread_mutex_lock(&lock);
    while (forked_count < OWN_CHILDREN)
        pthread_cond_wait(&forked, &lock);
    pthread_mutex_unlock(&lock);
    report_os_threads("own-children");
    char bytes[OWN_CHILDREN];
    memset(bytes, 'g', sizeof bytes);
    CHECK(write(go[1], bytes, sizeof bytes) == (ssize_t)sizeof bytes, "write");
    int right = 0;
    for (int i = 0; i < OWN_CHILDREN; i++)
        right += (int)(intptr_t)join_or_die(threads[i]);
    printf("%d threads in waitpid(pid): each reaped its own child with its status: %d\n",
           OWN_CHILDREN, right);
    close(go[0]);
    close(go[1]);
}

/* ---- 2. threads sharing the children ---- */

struct reaped {
    pid_t pid;
    int status;
};

static void *wait_for_any(void *arg)
{
    struct reaped *r = arg;
    r->pid = waitpid(-1, &r->status, 0);
    return NULL;
}

static void shared_children(void)
{
    CHECK(pipe2(go, O_CLOEXEC) == 0, "pipe2");
    fflush(stdout);
    pid_t children[ANY_CHILDREN];
    for (int i = 0; i < ANY_CHILDREN; i++)
        children[i] = fork_reader(i + 1);
    struct reaped reaped[ANY_CHILDREN];
    pthread_t threads[ANY_CHILDREN];
    for (int i = 0; i < ANY_CHILDREN; i++)
        threads[i] = start_thread(NULL, wait_for_any, &reaped[i]);
    usleep(COOP_TICK_US); /* the threads are waiting */
    report_os_threads("shared-children");
    char bytes[ANY_CHILDREN];
    memset(bytes, 'g', sizeof bytes);
    CHECK(write(go[1], bytes, sizeof bytes) == (ssize_t)sizeof bytes, "write");
    for (int i = 0; i < ANY_CHILDREN; i++)
        join_or_die(threads[i]);
    /* Every child reaped once, by some thread, with its own status. */
    int right = 0;
    for (int i = 0; i < ANY_CHILDREN; i++) {
        int times = 0;
        for (int j = 0; j < ANY_CHILDREN; j++)
            if (reaped[j].pid == children[i] && WIFEXITED(reaped[j].status) &&
                WEXITSTATUS(reaped[j].status) == i + 1)
                times++;
        right += times == 1;
    }
    printf("%d threads in waitpid(-1): children reaped once each with their status: %d\n",
           ANY_CHILDREN, right);
    close(go[0]);
    close(go[1]);
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    own_children();
    shared_children();
    return 0;
}
