/* fork from a thread while others run, and a child that uses threads again. The forking
 * thread is not main, and main and a ticker (coop.h) keep running in the parent.
 * In the child: only the forking thread exists; it starts three threads, which wait until
 * it has counted the OS threads ("os-threads fork-child", thread_prog.h), then sleep and
 * end; it joins them, reports, and exits once the parent's ticker says so. In the parent:
 * the forking thread waits for the child in waitpid while the ticker ticks.
 * Both processes also call syncfs (on a pipe: nothing to write back), a call that may
 * take long and that the shim hands to a worker thread: the parent before the fork, the
 * child while its threads exist, which needs workers of the child's own. */
#include "proc_util.h"

enum { CHILD_THREADS = 3 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t counted_cond = PTHREAD_COND_INITIALIZER;
static bool counted;
static atomic_int parent_ticks;

static void *sleep_after_count(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!counted)
        pthread_cond_wait(&counted_cond, &lock);
    pthread_mutex_unlock(&lock);
    usleep(10000);
    return arg;
}

static _Noreturn void child_main(int go)
{
    alarm(PROC_SAFETY_ALARM_S); /* a fork child does not inherit the parent's */
    int ticks_at_fork = parent_ticks;
    pthread_t threads[CHILD_THREADS];
    for (int i = 0; i < CHILD_THREADS; i++)
        threads[i] = start_thread(NULL, sleep_after_count, (void *)(intptr_t)i);
    report_os_threads("fork-child");
    int synced = syncfs(go);
    pthread_mutex_lock(&lock);
    counted = true;
    pthread_cond_broadcast(&counted_cond);
    pthread_mutex_unlock(&lock);
    int joined = 0;
    for (int i = 0; i < CHILD_THREADS; i++)
        joined += join_or_die(threads[i]) == (void *)(intptr_t)i;
    printf("child: syncfs: %d; %d threads of its own slept and were joined; the parent's "
           "ticker did not tick here: %s\n",
           synced, joined, yes_no(parent_ticks == ticks_at_fork));
    fflush(stdout);
    child_wait_for_word(go);
    exit(12);
}

static struct child child;

static void *fork_and_wait(void *arg)
{
    (void)arg;
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    printf("parent: syncfs: %d\n", syncfs(fds[0]));
    /* Under the shim a worker thread ran it; by the time of the fork it waits for the next
     * job, and the child must not count on it. */
    usleep(COOP_TICK_US);
    fflush(stdout);
    child.pid = fork();
    CHECK(child.pid >= 0, "fork");
    if (child.pid == 0)
        child_main(fds[0]);
    close(fds[0]);
    child.go = fds[1];
    struct coop_ticker ticker;
    coop_start(&ticker, "fork-parent", child_go_wake, &child);
    int status = 0;
    pid_t r = waitpid(child.pid, &status, 0);
    printf("parent: waitpid: %s, %s, ticks %d\n", wait_result(r, child.pid, errno),
           status_text(status), coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    return NULL;
}

static void *tick(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        usleep(COOP_TICK_US);
        parent_ticks++;
    }
    return NULL;
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    pthread_t ticker = start_thread(NULL, tick, NULL);
    join_or_die(start_thread(NULL, fork_and_wait, NULL));
    join_or_die(ticker);
    printf("parent: its own ticker ticked %d times\n", (int)parent_ticks);
    return 0;
}
