/* The first call of each libc function the shim interposes: arguments of every kind must
 * arrive as the program passed them, and errno must be as the call leaves it natively.
 * (Under the shim the real functions are looked up at their first call, between the
 * program's call and libc's: variadic calls with their mode argument, the seventh and
 * eighth arguments that travel on the stack, the count of vector registers of a variadic
 * call.) Plain C, never a thread unless run as "startup_first_calls threaded", which first
 * starts a thread that waits on a pipe, so that the calls take the shim's cooperative
 * paths (and some of them its worker threads'). Each call below is the program's first of
 * that function.
 * Usage: startup_first_calls [threaded] */
#include "thread_prog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int park[2];

static void *parked(void *unused)
{
    (void)unused;
    char c;
    return read(park[0], &c, 1) == 1 ? NULL : (void *)1;
}

static unsigned mode_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned)(st.st_mode & 0777) : 01000;
}

int main(int argc, char **argv)
{
    alarm(10);
    bool threaded = argc > 1 && strcmp(argv[1], "threaded") == 0;
    pthread_t waiter;
    if (threaded) {
        if (pipe(park) != 0)
            return 1;
        waiter = start_thread(NULL, parked, NULL);
    }
    umask(022);
    char dir[] = "/tmp/gp_startup_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[64];

    /* A call that succeeds leaves errno alone. */
    errno = ERANGE;
    int r = sched_yield();
    printf("sched_yield: %d, errno still ERANGE: %s\n", r, yes_no(errno == ERANGE));

    /* Variadic calls: the mode is read with va_arg. */
    snprintf(path, sizeof path, "%s/a", dir);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0640);
    printf("open O_CREAT with mode 0640: %s, mode %o\n", yes_no(fd >= 0), mode_of(fd));
    int dfd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
    int fd2 = openat(dfd, "b", O_CREAT | O_EXCL | O_WRONLY, 0604);
    printf("openat O_CREAT with mode 0604: %s, mode %o\n", yes_no(fd2 >= 0), mode_of(fd2));
    int set = fcntl(fd, F_SETFD, FD_CLOEXEC);
    printf("fcntl F_SETFD FD_CLOEXEC: %d, F_GETFD: %d\n", set, fcntl(fd, F_GETFD));
    long pid = syscall(SYS_getpid);
    printf("syscall(SYS_getpid) is getpid(): %s\n", yes_no(pid == getpid()));

    /* A call that fails sets errno. */
    errno = 0;
    char c;
    ssize_t n = read(-1, &c, 1);
    printf("read of fd -1: %zd %s\n", n, error_name(errno));

    /* Seven and eight arguments: the last ones on the stack. */
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    char host[64] = "", serv[32] = "";
    int e = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo, numeric: %d %s %s\n", e, host, serv);
    struct hostent he, *result = NULL;
    char buf[1024];
    int herr = -7;
    e = gethostbyname2_r("127.0.0.1", AF_INET, &he, buf, sizeof buf, &result, &herr);
    char addr[INET_ADDRSTRLEN] = "?";
    if (e == 0 && result)
        inet_ntop(AF_INET, result->h_addr_list[0], addr, sizeof addr);
    printf("gethostbyname2_r of a numeric name: %d, found %s, %s\n", e, yes_no(result == &he),
           addr);

    close(fd);
    close(fd2);
    snprintf(path, sizeof path, "%s/a", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/b", dir);
    unlink(path);
    close(dfd);
    rmdir(dir);
    if (threaded) {
        if (write(park[1], "x", 1) != 1)
            return 1;
        join_or_die(waiter);
    }
    return 0;
}
