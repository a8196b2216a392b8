/* See compat.h. */
#include "compat.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int compat_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static bool connects(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

bool compat_wait_port(int port, pid_t pid, int timeout_s)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < timeout_s * 50; i++) {
        if (connects(port))
            return true;
        if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        nanosleep(&pause, NULL);
    }
    return false;
}

pid_t compat_start(enum run_mode mode, const char *const *argv, const char *const *env,
                   const char *log)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int in = open("/dev/null", O_RDONLY);
    int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0)
        _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    setpgid(0, 0);
    /* A test that Criterion kills for taking too long runs no cleanup: its servers die with
     * it rather than outlive the run. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (mode == RUN_SHIM)
        setenv("LD_PRELOAD", getenv("GP_PRELOAD"), 1);
    else
        unsetenv("LD_PRELOAD");
    for (const char *const *e = env; e && *e; e++)
        putenv((char *)*e);
    execve(argv[0], (char *const *)argv, environ);
    _exit(127);
}

int compat_stop(pid_t pid, int timeout_s)
{
    int status;
    kill(pid, SIGTERM);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < timeout_s * 50; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1 - WTERMSIG(status);
        nanosleep(&pause, NULL);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1 - WTERMSIG(status);
}

/* The line of /proc/PID/task/TID/FILE that starts with key (the first line when key is
 * ""), or "" when the thread has gone. */
static void task_line(pid_t pid, const char *tid, const char *file, const char *key,
                      char *line, size_t len)
{
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/task/%s/%s", (int)pid, tid, file);
    FILE *f = fopen(path, "r");
    line[0] = 0;
    while (f && fgets(line, (int)len, f) && strncmp(line, key, strlen(key)) != 0)
        line[0] = 0;
    if (f)
        fclose(f);
}

static bool named_pool_worker(pid_t pid, const char *tid)
{
    char comm[32];
    task_line(pid, tid, "comm", "", comm, sizeof comm);
    return strcmp(comm, "greenpatch-pool\n") == 0;
}

/* A pool worker names itself first thing, but it may be seen before it has run at all: it
 * then has its creator's name, and blocks every signal already (pool.c gives it that mask
 * in its attributes). Such a thread is watched until it has a name of its own or is gone
 * (curl's resolver threads block every signal too, and keep curl's name), at most 2 s. */
static bool is_pool_worker(pid_t pid, const char *tid)
{
    /* Every signal but SIGKILL, SIGSTOP and the two that glibc keeps for itself
     * (SIGCANCEL and SIGSETXID, 32 and 33), which it never lets a thread block. */
    const unsigned long long unblockable =
        1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1) | 1ull << 31 | 1ull << 32;
    if (named_pool_worker(pid, tid))
        return true;
    char line[256];
    unsigned long long blocked = 0;
    task_line(pid, tid, "status", "SigBlk:", line, sizeof line);
    if (atoi(tid) == pid || sscanf(line, "SigBlk: %llx", &blocked) != 1 ||
        (blocked | unblockable) != ~0ull)
        return false;
    struct timespec pause = {0, 1000 * 1000};
    for (int i = 0; i < 2000 && line[0]; i++) {
        nanosleep(&pause, NULL);
        if (named_pool_worker(pid, tid))
            return true;
        task_line(pid, tid, "comm", "", line, sizeof line);
    }
    return false;
}

int compat_os_threads(pid_t pid, int *pool_workers)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0, pool = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        pool += is_pool_worker(pid, e->d_name);
    }
    closedir(d);
    if (pool_workers)
        *pool_workers = pool;
    return n;
}

char *compat_tempdir(const char *tag)
{
    char *dir;
    if (asprintf(&dir, "/tmp/gp-compat-%s-XXXXXX", tag) < 0 || !mkdtemp(dir))
        return NULL;
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void compat_rmtree(const char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *compat_prog_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("GP_COMPAT_PROGS");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "build/tests/compat/progs", name);
    return path;
}

const char *compat_data_path(const char *rel)
{
    /* scripts/run-tests sets GP_SCRIPTS to the scripts/ directory of the tree. */
    static __thread char path[4][4096];
    static __thread int next;
    char *p = path[next++ % 4];
    const char *scripts = getenv("GP_SCRIPTS");
    snprintf(p, sizeof path[0], "%s/../tests/compat/%s", scripts ? scripts : "scripts", rel);
    return p;
}

const char *compat_which(const char *name)
{
    static const char *const dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin",
                                       "/usr/lib/postgresql/15/bin"};
    static char path[4096];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        if (access(path, X_OK) == 0)
            return path;
    }
    return NULL;
}
