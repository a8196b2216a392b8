/* A thread blocked in a system call the shim cannot see: read(2) on a pipe made with the
 * syscall instruction itself, as Go's runtime and statically linked code do. The byte comes
 * from a child process after BLOCK_S, so the read ends by itself natively and under the shim
 * alike (a thread of this process could not write it under the shim: the one OS thread is
 * in the read). With GREENPATCH_BLOCK_WARN_MS the blocking detector names the reader
 * meanwhile; the read, restarted by the kernel after the detector's signal (SA_RESTART),
 * still returns the byte. */
#include "detect_util.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#define BLOCK_US 1500000

static int pipe_fds[2];

__attribute__((noinline)) long raw_read(int fd, void *buf, size_t len)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(len)
                     : "rcx", "r11", "memory");
    return r;
}

static void *reader(void *unused)
{
    (void)unused;
    pthread_setname_np(pthread_self(), "reader");
    char c = 0;
    long r = raw_read(pipe_fds[0], &c, 1);
    printf("raw read returned %ld: '%c'\n", r, r == 1 ? c : '?');
    return NULL;
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    DETECT_CHECK(pipe(pipe_fds) == 0, "pipe");
    pid_t child = fork();
    DETECT_CHECK(child >= 0, "fork");
    if (child == 0) {
        usleep(BLOCK_US);
        _exit(write(pipe_fds[1], "x", 1) == 1 ? 0 : 1);
    }
    pthread_t t = detect_start(reader, NULL);
    pthread_join(t, NULL);
    int status;
    DETECT_CHECK(waitpid(child, &status, 0) == child, "waitpid");
    printf("writer process exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
