/* Does the shim reach the programs a program runs? The parent runs threads (so that a run
 * under the shim shows one OS thread), then forks and executes itself as "child", which
 * says whether libgreenpatch is mapped in it and what LD_PRELOAD and GREENPATCH_NO_INHERIT
 * it was given. By default children inherit the shim as they inherit any LD_PRELOAD; with
 * GREENPATCH_NO_INHERIT=1 they run without it (tests/test_install.c). */
#include "thread_prog.h"

#include <sys/wait.h>
#include <unistd.h>

enum { THREADS = 4 };

/* The workers wait for the end of this pipe, so that they are all alive at the report. */
static int release[2];

static bool shim_mapped(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) {
        perror("/proc/self/maps");
        exit(1);
    }
    char line[4096];
    bool found = false;
    while (fgets(line, sizeof line, maps))
        found |= strstr(line, "/libgreenpatch") != NULL;
    fclose(maps);
    return found;
}

static void print_variable(const char *who, const char *name)
{
    const char *v = getenv(name);
    printf("%s: %s: %s\n", who, name, v ? v : "(unset)");
}

static void *worker(void *arg)
{
    char byte;
    if (read(release[0], &byte, 1) != 0) {
        fprintf(stderr, "a worker read something\n");
        exit(1);
    }
    return arg;
}

int main(int argc, char **argv)
{
    alarm(10);
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("child: libgreenpatch mapped: %s\n", yes_no(shim_mapped()));
        print_variable("child", "LD_PRELOAD");
        print_variable("child", "GREENPATCH_NO_INHERIT");
        return 0;
    }
    if (pipe(release)) {
        perror("pipe");
        return 1;
    }
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, worker, NULL);
    report_os_threads("all-alive");
    close(release[1]);
    for (int i = 0; i < THREADS; i++)
        join_or_die(threads[i]);
    printf("parent: %d threads joined\n", THREADS);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        perror("execl");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "the child failed\n");
        return 1;
    }
    return 0;
}
