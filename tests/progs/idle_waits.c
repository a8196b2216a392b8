/* Waiting costs no CPU: for 600 ms every thread is blocked (one sleeping, one reading an
 * empty pipe, main joining), and the process's CPU time over that stretch stays far below
 * it, natively and under the shim (whose loop must sleep in the kernel, not poll). */
#include "thread_prog.h"

#include <unistd.h>

static int fds[2];

static void *sleep_then_write(void *arg)
{
    (void)arg;
    usleep(600000);
    must_succeed(write(fds[1], "x", 1) == 1 ? 0 : 1, "write");
    return NULL;
}

static void *read_one(void *arg)
{
    (void)arg;
    char c;
    must_succeed(read(fds[0], &c, 1) == 1 ? 0 : 1, "read");
    return NULL;
}

static double process_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
    must_succeed(pipe(fds), "pipe");
    double before = process_cpu_seconds();
    pthread_t reader = start_thread(NULL, read_one, NULL);
    pthread_t sleeper = start_thread(NULL, sleep_then_write, NULL);
    report_os_threads("all-waiting");
    join_or_die(sleeper);
    join_or_die(reader);
    double used = process_cpu_seconds() - before;
    /* 100 ms of CPU in 600 ms of waiting would be a busy loop; real waits use well under 10. */
    printf("CPU used while every thread waited for 600 ms is under 100 ms: %s\n",
           yes_no(used < 0.1));
    return 0;
}
