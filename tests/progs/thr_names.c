/* What a pthread_t says about its thread: names, attributes, scheduling, affinity, CPU
 * clock, and pthread_sigqueue.
 *
 *  - names: a thread starts with its creator's name (main's is the program's); each thread
 *    sets its own and reads any other's; ERANGE for a name of 16 bytes or more and for a
 *    buffer under 16 bytes; main's name is the process's (/proc/self/comm);
 *  - pthread_getattr_np: the stack size and guard size the thread was created with read
 *    back, its own locals lie in the reported stack, a stack the program supplied reads
 *    back exactly, the detach state (created detached, detached later), the scheduling
 *    policy and the CPU affinity;
 *  - pthread_getschedparam, pthread_setschedparam, pthread_setschedprio,
 *    pthread_getaffinity_np, pthread_setaffinity_np, pthread_getcpuclockid on another
 *    thread;
 *  - pthread_sigqueue: the handler runs on the thread named, with the value, as SI_QUEUE;
 *    ESRCH once the thread has ended;
 *  - pthread_getattr_np of a thread that has ended and is not joined yet: its stack, as the
 *    thread saw it (the stack stays until the join). */
#include "thread_prog.h"
#include "thr_steps.h"

#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static void print_name(const char *who, pthread_t th)
{
    char name[16];
    int r = pthread_getname_np(th, name, sizeof name);
    printf("%s: %s %s\n", who, error_name(r), r == 0 ? name : "");
}

static void *print_own_name(void *who)
{
    print_name(who, pthread_self());
    return NULL;
}

static void *named_worker(void *arg)
{
    (void)arg;
    print_name("a thread made by main, at its start", pthread_self());
    printf("setname worker-one: %s\n", error_name(pthread_setname_np(pthread_self(), "worker-one")));
    print_name("its name then", pthread_self());
    printf("setname with 16 bytes: %s\n",
           error_name(pthread_setname_np(pthread_self(), "sixteen-bytes-xx")));
    printf("setname with 15 bytes: %s\n",
           error_name(pthread_setname_np(pthread_self(), "fifteen-bytes-x")));
    pthread_setname_np(pthread_self(), "worker-one");
    char small[15];
    printf("getname into 15 bytes: %s\n", error_name(pthread_getname_np(pthread_self(), small, sizeof small)));
    join_or_die(start_thread(NULL, print_own_name, "a thread made by worker-one"));
    set_step(1);
    wait_step(2);
    return NULL;
}

/* pthread_getattr_np of the calling thread. */
static void *report_attr(void *arg)
{
    const char *what = arg;
    pthread_attr_t attr;
    must_succeed(pthread_getattr_np(pthread_self(), &attr), "pthread_getattr_np");
    void *addr;
    size_t size, guard;
    int detach, policy;
    struct sched_param param;
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_getdetachstate(&attr, &detach);
    pthread_attr_getschedpolicy(&attr, &policy);
    pthread_attr_getschedparam(&attr, &param);
    char local;
    bool inside = (char *)addr <= &local && &local < (char *)addr + size;
    cpu_set_t from_attr, from_kernel;
    pthread_attr_getaffinity_np(&attr, sizeof from_attr, &from_attr);
    sched_getaffinity(0, sizeof from_kernel, &from_kernel);
    printf("%s: stack %zu KiB, a local inside it: %s, guard %zu KiB, %s, %s priority %d, "
           "affinity as the kernel's: %s\n",
           what, size / 1024, yes_no(inside), guard / 1024,
           detach == PTHREAD_CREATE_DETACHED ? "detached" : "joinable",
           policy == SCHED_OTHER ? "SCHED_OTHER" : "other policy", param.sched_priority,
           yes_no(CPU_EQUAL(&from_attr, &from_kernel)));
    pthread_attr_destroy(&attr);
    return NULL;
}

static void *reports_detached(void *arg)
{
    report_attr(arg);
    set_step(3);
    return NULL;
}

static void *detaches_then_reports(void *arg)
{
    pthread_detach(pthread_self());
    report_attr(arg);
    set_step(4);
    return NULL;
}

static void *default_size_check(void *arg)
{
    (void)arg;
    pthread_attr_t mine, fresh;
    size_t size, default_size;
    pthread_getattr_np(pthread_self(), &mine);
    pthread_attr_getstacksize(&mine, &size);
    pthread_attr_init(&fresh);
    pthread_attr_getstacksize(&fresh, &default_size);
    printf("a default thread's stack is the default size: %s\n", yes_no(size == default_size));
    pthread_attr_destroy(&mine);
    pthread_attr_destroy(&fresh);
    return NULL;
}

static void *user_stack_check(void *stack)
{
    pthread_attr_t attr;
    void *addr;
    size_t size, guard;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_getguardsize(&attr, &guard);
    printf("program-supplied stack reads back: %s, guard %zu\n",
           yes_no(addr == stack && size == 256 * 1024), guard);
    pthread_attr_destroy(&attr);
    return NULL;
}

static volatile sig_atomic_t queued_value, queued_code_ok;
static volatile pthread_t queued_on;

static void on_queued(int sig, siginfo_t *info, void *uctx)
{
    (void)sig, (void)uctx;
    queued_on = pthread_self();
    queued_value = info->si_value.sival_int;
    queued_code_ok = info->si_code == SI_QUEUE;
}

static void *waits_for_signal(void *arg)
{
    (void)arg;
    set_step(5);
    for (int i = 0; i < 2000 && !queued_value; i++)
        usleep(1000);
    return NULL;
}

/* The stack the thread reports for itself, for main to compare after the thread ended. */
static void *ended_stack_addr;
static size_t ended_stack_size;

static void *records_stack(void *arg)
{
    pthread_attr_t attr;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &ended_stack_addr, &ended_stack_size);
    pthread_attr_destroy(&attr);
    return arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(10);
    printf("thr_names start\n");
    print_name("main", pthread_self());

    pthread_t worker = start_thread(NULL, named_worker, NULL);
    wait_step(1);
    report_os_threads("worker-alive");
    print_name("main reads worker-one's name", worker);
    print_name("main's own, unchanged", pthread_self());
    printf("main renames itself: %s\n", error_name(pthread_setname_np(pthread_self(), "renamed-main")));
    print_name("main's name", pthread_self());
    FILE *comm = fopen("/proc/self/comm", "r");
    char line[32] = "";
    if (comm) {
        fgets(line, sizeof line, comm);
        fclose(comm);
    }
    printf("/proc/self/comm: %s", line);
    set_step(2);
    join_or_die(worker);
    join_or_die(start_thread(NULL, print_own_name, "a thread made by the renamed main"));

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setguardsize(&attr, 64 * 1024);
    join_or_die(start_thread(&attr, report_attr, "256 KiB stack, 64 KiB guard"));
    pthread_attr_destroy(&attr);
    join_or_die(start_thread(NULL, default_size_check, NULL));

    void *stack = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    must_succeed(stack == MAP_FAILED ? errno : 0, "mmap");
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, 256 * 1024);
    join_or_die(start_thread(&attr, user_stack_check, stack));
    pthread_attr_destroy(&attr);

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_thread(&attr, reports_detached, "created detached");
    wait_step(3);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
    start_thread(&attr, detaches_then_reports, "detached itself");
    pthread_attr_destroy(&attr);
    wait_step(4);

    set_step(0);
    pthread_t other = start_thread(NULL, named_worker, NULL);
    wait_step(1);
    int policy;
    struct sched_param param = {0};
    int r = pthread_getschedparam(other, &policy, &param);
    printf("getschedparam of another thread: %s, %s, priority %d\n", error_name(r),
           policy == SCHED_OTHER ? "SCHED_OTHER" : "other policy", param.sched_priority);
    param.sched_priority = 0;
    printf("setschedparam SCHED_OTHER 0: %s, setschedprio 0: %s, setschedprio 5: %s\n",
           error_name(pthread_setschedparam(other, SCHED_OTHER, &param)),
           error_name(pthread_setschedprio(other, 0)), error_name(pthread_setschedprio(other, 5)));
    cpu_set_t set, mine;
    sched_getaffinity(0, sizeof mine, &mine);
    r = pthread_getaffinity_np(other, sizeof set, &set);
    printf("getaffinity of another thread: %s, as main's: %s, setaffinity to it: %s\n",
           error_name(r), yes_no(CPU_EQUAL(&set, &mine)),
           error_name(pthread_setaffinity_np(other, sizeof set, &set)));
    clockid_t clock;
    struct timespec spent;
    r = pthread_getcpuclockid(other, &clock);
    printf("getcpuclockid of another thread: %s, readable: %s\n", error_name(r),
           yes_no(r == 0 && clock_gettime(clock, &spent) == 0));
    set_step(2);
    join_or_die(other);

    struct sigaction sa = {.sa_sigaction = on_queued, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t target = start_thread(NULL, waits_for_signal, NULL);
    wait_step(5);
    r = pthread_sigqueue(target, SIGUSR1, (union sigval){.sival_int = 42});
    join_or_die(target);
    printf("pthread_sigqueue: %s, handler ran on the target: %s, value %d, SI_QUEUE: %s\n",
           error_name(r), yes_no(pthread_equal(queued_on, target)), (int)queued_value,
           yes_no(queued_code_ok));
    pthread_t ended = start_thread(NULL, records_stack, NULL);
    for (int i = 0; i < 100 && (r = pthread_sigqueue(ended, 0, (union sigval){0})) == 0; i++)
        usleep(10000);
    printf("pthread_sigqueue to a thread that has ended: %s\n", error_name(r));
    void *addr = NULL;
    size_t size = 0;
    r = pthread_getattr_np(ended, &attr);
    if (r == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    printf("pthread_getattr_np of that thread before its join: %s, the stack it had: %s\n",
           error_name(r), yes_no(addr == ended_stack_addr && size == ended_stack_size && size > 0));
    join_or_die(ended);
    printf("thr_names done\n");
    return 0;
}
