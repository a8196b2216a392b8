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

static bool is_pool_worker(pid_t pid, const char *tid)
{
    char path[320], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid, tid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(comm, sizeof comm, f))
            comm[0] = 0;
        fclose(f);
    }
    return strcmp(comm, "greenpatch-pool\n") == 0;
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
