/* signal() in a strict ISO C program. The Makefile builds this one with -std=c11
 * -U_GNU_SOURCE -D_POSIX_C_SOURCE=200809L; without _DEFAULT_SOURCE or _GNU_SOURCE, glibc's
 * <signal.h> maps signal() to __sysv_signal, which installs the handler with System V
 * semantics: reset to SIG_DFL when it runs, and no SA_RESTART. (The test checks with objdump
 * that the binary references __sysv_signal, or it would prove nothing.) So a SIGALRM that
 * comes while main blocks in read on an empty pipe, with a second thread alive (under the
 * shim, main's read is a green wait), makes that read fail with EINTR, and the handler runs
 * once.
 * It stays self-contained: thread_prog.h needs _GNU_SOURCE. With REPORT_OS_THREADS=1 it
 * writes "os-threads idler-alive: N" to stderr while the second thread is alive. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_ROUNDS 200 /* of 10 ms: the second thread outlives the alarm by a second */

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
    (void)sig;
    handled++;
}

static void fail(const char *what)
{
    fprintf(stderr, "%s failed: %s\n", what, strerror(errno));
    exit(1);
}

/* Keeps a second thread alive until well after the alarm, then writes one byte to the pipe
 * (the write end is arg): a read that the signal failed to end (restarted, or never woken)
 * returns it instead of hanging the test. */
static void *idle_then_write(void *arg)
{
    int write_fd = *(int *)arg;
    struct timespec ten_ms = {.tv_nsec = 10000000};
    for (int i = 0; i < IDLE_ROUNDS; i++)
        nanosleep(&ten_ms, NULL);
    if (write(write_fd, "x", 1) != 1)
        fail("write");
    return NULL;
}

/* Kernel tasks of this process (entries of /proc/self/task), on stderr, when
 * REPORT_OS_THREADS=1: natively one per thread, under the shim one in all. */
static void report_os_threads(const char *where)
{
    const char *wanted = getenv("REPORT_OS_THREADS");
    if (!wanted || strcmp(wanted, "1") != 0)
        return;
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        fail("opendir /proc/self/task");
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    fprintf(stderr, "os-threads %s: %d\n", where, count);
}

int main(void)
{
    int p[2];
    if (pipe(p) != 0)
        fail("pipe");
    pthread_t idler;
    errno = pthread_create(&idler, NULL, idle_then_write, &p[1]);
    if (errno != 0)
        fail("pthread_create");
    report_os_threads("idler-alive");
    if (signal(SIGALRM, on_alarm) == SIG_ERR)
        fail("signal");
    alarm(1);
    char c;
    ssize_t r = read(p[0], &c, 1); /* the pipe stays empty until long after the alarm */
    int read_errno = errno;
    printf("read on an empty pipe, SIGALRM handler installed by signal(): %d %s, handler ran "
           "%d\n",
           (int)r, r < 0 ? (read_errno == EINTR ? "EINTR" : "another error") : "0",
           (int)handled);
    errno = pthread_join(idler, NULL);
    if (errno != 0)
        fail("pthread_join");
    return r < 0 && read_errno == EINTR ? 0 : 1;
}
