/* Many blocked threads in an unmodified program (issue 6, benchmark 4). Starts N threads
 * that each block, measures what they cost while all of them wait, then releases and joins
 * them:
 *   cond   each thread waits on one condition variable until main broadcasts;
 *   recv   each thread blocks in recv on its own loopback TCP connection (the accepted
 *          socket, held by this process; the connecting ends are held by a child process,
 *          which connects them in batches of 1,000 and ends them all at once by exiting);
 *   hold   the connections of recv mode without the threads: main holds the accepted
 *          sockets (what the connections alone cost).
 * When pthread_create fails (natively: near pid_max threads), the program stops creating,
 * goes on with the threads it has, and says where it failed.
 * Prints one line:
 *   created C failed_at F ms T cpu_ms U rss_kib R drop_kib D pte_kib P kernel_kib K cgroup_kib M guarded G
 * C threads created (F: the index of the first failed pthread_create, or -1), T
 * milliseconds from the first pthread_create until every thread is blocked (in recv mode
 * with the connections made and accepted), U the CPU time the process (all its threads)
 * used meanwhile, R the process's VmRSS then, D how much
 * MemAvailable dropped from just before the first thread (or connection) until then (kernel
 * memory included: stacks, page tables, sockets), P its VmPTE (page tables), K the growth of
 * the kernel's thread stacks, page tables and slab (system-wide, as D), M the growth of what
 * the process's memory cgroup is charged (user and kernel memory; -1: no cgroup), G how many of
 * the threads' stacks have a guard page below them (a PROT_NONE mapping, or a guard region
 * of MADV_GUARD_INSTALL, which /proc/self/pagemap shows in bit 58 since Linux 6.14).
 * Exit status 1 when something failed other than pthread_create's EAGAIN.
 * Usage: blocked_threads cond|recv|hold N */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CONNECT_BATCH = 1000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static long ready, expected;
static int go;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Counts the caller as blocked (or about to block) and wakes main when all are. */
static void count_ready(void)
{
    if (++ready == expected)
        pthread_cond_signal(&ready_cond);
}

static void *wait_cond(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    count_ready();
    while (!go)
        pthread_cond_wait(&go_cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *wait_recv(void *arg)
{
    int fd = (int)(intptr_t)arg;
    pthread_mutex_lock(&lock);
    count_ready();
    pthread_mutex_unlock(&lock);
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    close(fd);
    return n == 0 ? NULL : (void *)1; /* the child's exit ends every connection */
}

static long status_kib(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path);
    char line[256];
    long v = -1;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0 && line[len] == ':')
            v = atol(line + len + 1);
    fclose(f);
    return v;
}

/* The kernel's memory that the threads and sockets of a process take, system-wide
 * (/proc/meminfo): thread stacks, page tables and slab (tasks, sockets, files, epoll). */
static long kernel_kib(void)
{
    return status_kib("/proc/meminfo", "KernelStack") + status_kib("/proc/meminfo", "PageTables") +
           status_kib("/proc/meminfo", "Slab");
}

/* What the process's memory cgroup is charged, in KiB: user and kernel memory of the
 * processes in it (cgroup v2 memory.current, v1 memory.usage_in_bytes), or -1. Unlike
 * MemAvailable, other programs on the machine move it only when they share the cgroup. */
static long cgroup_kib(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return -1;
    char line[512], path[600] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *controllers = strchr(line, ':'), *where = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!where)
            continue;
        *where++ = '\0';
        if (strcmp(controllers + 1, "memory") == 0)
            snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", where);
        else if (strcmp(line, "0") == 0 && !path[0])
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.current", where);
    }
    fclose(f);
    f = fopen(path, "r");
    long long bytes = -1024;
    if (f) {
        if (fscanf(f, "%lld", &bytes) != 1)
            bytes = -1024;
        fclose(f);
    }
    return (long)(bytes / 1024);
}

static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The PROT_NONE mappings of the process, sorted by address as /proc/self/maps lists them. */
struct range {
    uintptr_t lo, hi;
};
static struct range *none_maps;
static size_t n_none;

static void read_none_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        die("/proc/self/maps");
    size_t cap = 1024;
    none_maps = malloc(cap * sizeof *none_maps);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || strcmp(perms, "---p"))
            continue;
        if (n_none == cap)
            none_maps = realloc(none_maps, (cap *= 2) * sizeof *none_maps);
        none_maps[n_none++] = (struct range){lo, hi};
    }
    fclose(f);
}

static int in_none_map(uintptr_t a)
{
    size_t lo = 0, hi = n_none;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a < none_maps[mid].lo)
            hi = mid;
        else if (a >= none_maps[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Whether the page below thread t's stack is a guard. */
static int guarded(pthread_t t, int pagemap)
{
    pthread_attr_t attr;
    void *addr;
    size_t size, guard;
    if (pthread_getattr_np(t, &attr) != 0)
        return 0;
    int ok = pthread_attr_getstack(&attr, &addr, &size) == 0 &&
             pthread_attr_getguardsize(&attr, &guard) == 0;
    pthread_attr_destroy(&attr);
    if (!ok || guard == 0)
        return 0;
    uintptr_t below = (uintptr_t)addr - 1;
    if (in_none_map(below))
        return 1;
    uint64_t entry = 0;
    long page = sysconf(_SC_PAGESIZE);
    return pagemap >= 0 &&
           pread(pagemap, &entry, sizeof entry, (off_t)(below / (uintptr_t)page * 8)) == 8 &&
           (entry >> 58 & 1);
}

/* The child's side of recv mode: connects n sockets to port, CONNECT_BATCH at a time (each
 * batch waits for the parent's go on ctl, so that the listen queue never overflows), then
 * holds them until the parent closes ctl. */
static _Noreturn void connector(long n, int port, int ctl)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char c;
    for (long i = 0; i < n; i++) {
        if (i % CONNECT_BATCH == 0 && read(ctl, &c, 1) != 1)
            _exit(1);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            perror("connector");
            _exit(1);
        }
    }
    while (read(ctl, &c, 1) > 0)
        ;
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "cond") && strcmp(argv[1], "recv") && strcmp(argv[1], "hold"))) {
        fprintf(stderr, "usage: blocked_threads cond|recv|hold N\n");
        return 2;
    }
    alarm(300);
    int hold = strcmp(argv[1], "hold") == 0, sockets = hold || strcmp(argv[1], "recv") == 0;
    long n = atol(argv[2]);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    int *held = calloc((size_t)n, sizeof *held);
    if (!threads || !held)
        die("calloc");
    /* Touched before the baseline. */
    memset(threads, 0, (size_t)n * sizeof *threads);
    memset(held, 0, (size_t)n * sizeof *held);

    int listener = -1, ctl[2] = {-1, -1};
    pid_t child = -1;
    if (sockets) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        listener = socket(AF_INET, SOCK_STREAM, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof sa) < 0 ||
            listen(listener, CONNECT_BATCH * 2) < 0 ||
            getsockname(listener, (struct sockaddr *)&sa, &len) < 0)
            die("listener");
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) < 0)
            die("socketpair");
        child = fork();
        if (child < 0)
            die("fork");
        if (child == 0) {
            close(listener);
            close(ctl[0]);
            connector(n, ntohs(sa.sin_port), ctl[1]);
        }
        close(ctl[1]);
    }

    /* What earlier processes freed (sockets and tasks go after an RCU grace period) settles
     * before the baseline. */
    for (int i = 0; i < 20; i++) {
        long before = cgroup_kib();
        usleep(50000);
        if (labs(cgroup_kib() - before) < 128)
            break;
    }
    long avail_before = status_kib("/proc/meminfo", "MemAvailable");
    long kernel_before = kernel_kib(), cgroup_before = cgroup_kib();
    double start = now_ms(CLOCK_MONOTONIC), cpu_start = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    long created = 0, failed_at = -1;
    int failed_errno = 0;
    pthread_mutex_lock(&lock);
    expected = n;
    pthread_mutex_unlock(&lock);
    for (long i = 0; i < n; i++) {
        void *arg = NULL;
        if (sockets) {
            if (i % CONNECT_BATCH == 0 && write(ctl[0], "b", 1) != 1)
                die("write ctl");
            int fd = accept(listener, NULL, NULL);
            if (fd < 0)
                die("accept");
            arg = (void *)(intptr_t)fd;
            if (hold) {
                held[created++] = fd;
                continue;
            }
        }
        int r = pthread_create(&threads[i], NULL, sockets ? wait_recv : wait_cond, arg);
        if (r != 0) {
            failed_at = i;
            failed_errno = r;
            if (sockets)
                close((int)(intptr_t)arg);
            break;
        }
        created++;
    }
    pthread_mutex_lock(&lock);
    expected = hold ? 0 : created;
    while (ready < expected)
        pthread_cond_wait(&ready_cond, &lock);
    pthread_mutex_unlock(&lock);
    double ms = now_ms(CLOCK_MONOTONIC) - start;
    double cpu_ms = now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    if (sockets)
        usleep(20000); /* the last threads from their count to their recv */
    long rss = status_kib("/proc/self/status", "VmRSS");
    long pte = status_kib("/proc/self/status", "VmPTE");
    long drop = avail_before - status_kib("/proc/meminfo", "MemAvailable");
    long kernel = kernel_kib() - kernel_before;
    long cgroup = cgroup_before < 0 ? -1 : cgroup_kib() - cgroup_before;

    read_none_maps();
    int pagemap = open("/proc/self/pagemap", O_RDONLY);
    long guards = 0;
    for (long i = 0; i < created && !hold; i++)
        guards += guarded(threads[i], pagemap);

    if (sockets) {
        close(ctl[0]); /* the child exits: every connection ends */
    } else {
        pthread_mutex_lock(&lock);
        go = 1;
        pthread_cond_broadcast(&go_cond);
        pthread_mutex_unlock(&lock);
    }
    int broken = 0;
    for (long i = 0; i < created && hold; i++)
        close(held[i]);
    for (long i = 0; i < created && !hold; i++) {
        void *result;
        if (pthread_join(threads[i], &result) != 0 || result != NULL)
            broken = 1;
    }
    if (sockets) {
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
            broken = 1;
    }
    if (failed_at >= 0)
        fprintf(stderr, "pthread_create failed at thread %ld: %s\n", failed_at,
                strerror(failed_errno));
    printf("created %ld failed_at %ld ms %.1f cpu_ms %.1f rss_kib %ld drop_kib %ld pte_kib %ld kernel_kib %ld "
           "cgroup_kib %ld guarded %ld\n",
           created, failed_at, ms, cpu_ms, rss, drop, pte, kernel, cgroup, guards);
    return broken || (failed_at >= 0 && failed_errno != EAGAIN);
}
