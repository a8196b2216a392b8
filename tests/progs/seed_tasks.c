/* The seed example of libgreenpatch: main starts task1 (sleeps 2 s) and task2 (sleeps 1 s)
 * and sleeps 3 s itself; each says when it starts and finishes. Checks that the sleeps
 * overlap and end in the order they do natively (task2, task1, main) and that every thread
 * sees the same process id. On stderr, when REPORT_OS_THREADS=1, it reports the OS thread
 * count while all three run (natively 3, under the shim 1) and whether the kernel thread
 * ids (gettid) of the three are all distinct (natively) or all equal (under the shim). */
#include "thread_prog.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct task {
    const char *name;
    unsigned sleep_s;
    pid_t pid; /* what getpid() and gettid() said inside the task */
    pid_t tid;
};

/* Each task announces its start under this lock before main starts the next one, so that
 * the start lines come out in the same order natively, where task2 could otherwise print
 * before task1. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int tasks_started;

static void *run_task(void *arg)
{
    struct task *task = arg;
    task->pid = getpid();
    task->tid = gettid();
    pthread_mutex_lock(&start_lock);
    printf("%s start\n", task->name);
    tasks_started++;
    pthread_cond_signal(&start_cond);
    pthread_mutex_unlock(&start_lock);
    sleep(task->sleep_s);
    printf("%s done\n", task->name);
    return NULL;
}

static void start_task(pthread_t *thread, struct task *task)
{
    pthread_mutex_lock(&start_lock);
    int started_before = tasks_started;
    *thread = start_thread(NULL, run_task, task);
    while (tasks_started == started_before)
        pthread_cond_wait(&start_cond, &start_lock);
    pthread_mutex_unlock(&start_lock);
}

static const char *tid_pattern(pid_t a, pid_t b, pid_t c)
{
    if (a == b && b == c)
        return "all equal";
    if (a != b && b != c && a != c)
        return "all distinct";
    return "mixed";
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("main start\n");
    struct task task1 = {.name = "task1", .sleep_s = 2};
    struct task task2 = {.name = "task2", .sleep_s = 1};
    pthread_t thread1, thread2;
    start_task(&thread1, &task1);
    start_task(&thread2, &task2);
    report_os_threads("all-alive");
    printf("main sleeps\n");
    sleep(3);
    printf("main done\n");
    join_or_die(thread1);
    join_or_die(thread2);
    bool same_pid = task1.pid == getpid() && task2.pid == getpid();
    printf("same pid in every thread: %s\n", yes_no(same_pid));
    if (os_thread_reports_wanted())
        fprintf(stderr, "kernel thread ids: %s\n", tid_pattern(gettid(), task1.tid, task2.tid));
    return 0;
}
