/* Times one command as precisely as a benchmark of whole programs needs: runs it with its
 * standard output on /dev/null (the figures are this program's own output), waits for it,
 * and prints "WALL USER SYS" in seconds: the wall-clock time from just before fork to the
 * end of the wait (CLOCK_MONOTONIC), and the CPU time of the command and of every
 * descendant it waited for (getrusage(RUSAGE_CHILDREN): a shell pipeline's processes too),
 * to the microsecond, where /usr/bin/time rounds to 10 ms. With --preload LIB the command
 * runs with LD_PRELOAD=LIB; without, with no LD_PRELOAD at all: the timer itself is never
 * preloaded. Used by scripts/bench-nothread.
 * Usage: run_timed [--preload LIB] COMMAND [ARG]... */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    int first = 1;
    const char *preload = NULL;
    if (argc > 2 && strcmp(argv[1], "--preload") == 0) {
        preload = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: run_timed [--preload LIB] COMMAND [ARG]...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("run_timed: fork");
        return 1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 1) < 0)
            _exit(126);
        close(null);
        if (preload ? setenv("LD_PRELOAD", preload, 1) : unsetenv("LD_PRELOAD"))
            _exit(126);
        execvp(argv[first], argv + first);
        perror("run_timed: exec");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("run_timed: waitpid");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "run_timed: %s failed (status %#x)\n", argv[first], status);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("%.6f %.6f %.6f\n",
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
           seconds(ru.ru_utime), seconds(ru.ru_stime));
    return 0;
}
