/* File locks held by another process. For each way to take a lock that waits (flock
 * LOCK_EX, fcntl F_SETLKW, fcntl F_OFD_SETLKW, lockf F_LOCK), a child process takes the
 * lock and holds it until a byte arrives on a pipe; the main thread asks for the lock and
 * waits, while a ticker thread (coop.h) ticks and only then writes that byte. Under the
 * shim both threads are green threads of one OS thread: the wait must go elsewhere (the
 * worker pool) for the ticker to run at all. The results (return values, errnos, what
 * F_GETLK reports) are compared with the native run; so are the calls that do not wait
 * (LOCK_NB, F_SETLK, F_TLOCK, F_TEST, unlocks, bad arguments) and fcntl's other commands,
 * which must pass straight through. Last, the kernel's deadlock detection: a child holding
 * one byte waits for the byte main holds, and main's F_SETLKW for the child's byte fails
 * with EDEADLK. */
#include "coop.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/wait.h>

enum lock_kind { FLOCK, POSIX, OFD, LOCKF };
static const char *const kind_names[] = {"flock", "fcntl F_SETLKW", "fcntl F_OFD_SETLKW",
                                         "lockf F_LOCK"};

static char path[4200];

/* "what: ERRNO" for a call that returns 0 or -1 (errno is read once the call is done). */
static void print_call(const char *what, int r)
{
    printf("%s: %s\n", what, error_name(r ? errno : 0));
}

static struct flock byte_lock(short type, off_t start)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};
    return fl;
}

enum lock_call { TRY, WAIT, UNLOCK };

/* Takes the lock of the given kind without waiting (TRY) or waiting (WAIT), or lets it go
 * (UNLOCK, which never waits, whatever the command); 0 or an errno. */
static int lock_call(int fd, enum lock_kind kind, enum lock_call call)
{
    static const int flock_ops[] = {LOCK_EX | LOCK_NB, LOCK_EX, LOCK_UN};
    static const int posix_cmds[] = {F_SETLK, F_SETLKW, F_SETLKW};
    static const int ofd_cmds[] = {F_OFD_SETLK, F_OFD_SETLKW, F_OFD_SETLKW};
    static const int lockf_cmds[] = {F_TLOCK, F_LOCK, F_ULOCK};
    struct flock fl = byte_lock(call == UNLOCK ? F_UNLCK : F_WRLCK, 0);
    int r;
    switch (kind) {
    case FLOCK:
        r = flock(fd, flock_ops[call]);
        break;
    case POSIX:
        r = fcntl(fd, posix_cmds[call], &fl);
        break;
    case OFD:
        r = fcntl(fd, ofd_cmds[call], &fl);
        break;
    default:
        r = lockf(fd, lockf_cmds[call], 1);
        break;
    }
    return r ? errno : 0;
}

/* A child that opens the file itself, takes the lock, says so on ready and holds it until a
 * byte comes on release. */
static pid_t start_holder(enum lock_kind kind, int ready, int release)
{
    fflush(stdout);
    pid_t pid = fork();
    must_succeed(pid < 0 ? errno : 0, "fork");
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        char c = lock_call(fd, kind, TRY) == 0 ? 'L' : 'F';
        if (write(ready, &c, 1) != 1 || read(release, &c, 1) != 1)
            _exit(2);
        _exit(0);
    }
    return pid;
}

static void write_byte(void *fd)
{
    must_succeed(write(*(int *)fd, "r", 1) == 1 ? 0 : EIO, "write");
}

static void held_by_a_child(int fd, enum lock_kind kind)
{
    int ready[2], release[2];
    must_succeed(pipe(ready) || pipe(release) ? errno : 0, "pipe");
    pid_t child = start_holder(kind, ready[1], release[0]);
    char c;
    must_succeed(read(ready[0], &c, 1) == 1 && c == 'L' ? 0 : EIO, "the child's lock");
    const char *name = kind_names[kind];
    printf("%s: taken without waiting while a child holds it: %s\n", name,
           error_name(lock_call(fd, kind, TRY)));
    if (kind == POSIX) {
        struct flock fl = byte_lock(F_WRLCK, 0);
        int r = fcntl(fd, F_GETLK, &fl) ? errno : 0;
        printf("fcntl F_GETLK: %s, held by the child: %s, as a write lock: %s\n", error_name(r),
               yes_no(fl.l_pid == child), yes_no(fl.l_type == F_WRLCK));
    }
    if (kind == LOCKF)
        print_call("lockf F_TEST", lockf(fd, F_TEST, 1));

    struct coop_ticker ticker;
    coop_start(&ticker, name, write_byte, &release[1]);
    int r = lock_call(fd, kind, WAIT);
    int ticks = coop_ticks(&ticker);
    coop_finish(&ticker);
    printf("%s: %s once the child let go, after %d ticks of the other thread\n", name,
           error_name(r), ticks);
    int status;
    waitpid(child, &status, 0);
    printf("%s: unlock: %s\n", name, error_name(lock_call(fd, kind, UNLOCK)));
    close(ready[0]), close(ready[1]), close(release[0]), close(release[1]);
}

static void without_waiting(int fd, int closed)
{
    print_call("flock LOCK_SH", flock(fd, LOCK_SH));
    print_call("flock LOCK_EX (a conversion)", flock(fd, LOCK_EX));
    print_call("flock LOCK_UN", flock(fd, LOCK_UN));
    print_call("flock of a closed fd", flock(closed, LOCK_EX));
    print_call("flock with a bad operation", flock(fd, 0));
    print_call("flock LOCK_SH|LOCK_EX", flock(fd, LOCK_SH | LOCK_EX));
    struct flock fl = byte_lock(F_RDLCK, 0);
    print_call("fcntl F_SETLKW read lock", fcntl(fd, F_SETLKW, &fl));
    fl.l_type = 99;
    print_call("fcntl F_SETLKW with a bad type", fcntl(fd, F_SETLKW, &fl));
    fl = byte_lock(F_WRLCK, 0);
    fl.l_pid = 1;
    print_call("fcntl F_OFD_SETLKW with l_pid set", fcntl(fd, F_OFD_SETLKW, &fl));
    print_call("fcntl F_SETLKW on a closed fd", fcntl(closed, F_SETLKW, &fl));
    print_call("lockf F_LOCK with a negative length", lockf(fd, F_LOCK, -5));
    print_call("lockf F_LOCK of a closed fd", lockf(closed, F_LOCK, 1));
    print_call("lockf with a bad command", lockf(fd, 99, 1));
    fl = byte_lock(F_UNLCK, 0);
    fcntl(fd, F_SETLK, &fl);

    /* fcntl's other commands pass straight through (F_GETFL and F_SETFL all the time). */
    int flags = fcntl(fd, F_GETFL);
    printf("fcntl F_GETFL: O_RDWR: %s\n", yes_no((flags & O_ACCMODE) == O_RDWR));
    printf("fcntl F_SETFL O_APPEND: %d\n", fcntl(fd, F_SETFL, flags | O_APPEND));
    printf("and F_GETFL shows it: %s\n", yes_no(fcntl(fd, F_GETFL) & O_APPEND));
    fcntl(fd, F_SETFL, flags);
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    printf("fcntl F_DUPFD_CLOEXEC from 100: %s, close-on-exec: %s\n", yes_no(dup_fd >= 100),
           yes_no(fcntl(dup_fd, F_GETFD) == FD_CLOEXEC));
    close(dup_fd);
    int r = fcntl(closed, F_GETFL);
    printf("fcntl F_GETFL of a closed fd: %d %s\n", r, error_name(errno));
    r = fcntl(fd, 12345);
    printf("fcntl with a bad command: %d %s\n", r, error_name(errno));
}

/* Whether /proc/locks shows a process waiting for a lock ("->"), for up to 5 s. */
static bool someone_waits(pid_t pid)
{
    char want[32];
    snprintf(want, sizeof want, " %d ", (int)pid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen("/proc/locks", "r");
        char line[256];
        bool found = false;
        while (f && fgets(line, sizeof line, f))
            found = found || (strstr(line, "->") && strstr(line, want));
        if (f)
            fclose(f);
        if (found)
            return true;
        usleep(1000);
    }
    return false;
}

static void deadlock(int fd)
{
    struct flock mine = byte_lock(F_WRLCK, 0);
    must_succeed(fcntl(fd, F_SETLK, &mine) ? errno : 0, "lock of byte 0");
    int ready[2];
    must_succeed(pipe(ready) ? errno : 0, "pipe");
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int own = open(path, O_RDWR);
        struct flock theirs = byte_lock(F_WRLCK, 1), wanted = byte_lock(F_WRLCK, 0);
        if (fcntl(own, F_SETLK, &theirs) || write(ready[1], "L", 1) != 1)
            _exit(2);
        _exit(fcntl(own, F_SETLKW, &wanted) ? 3 : 0); /* waits until main lets go */
    }
    char c;
    must_succeed(read(ready[0], &c, 1) == 1 ? 0 : EIO, "the child's lock");
    bool waiting = someone_waits(child);
    struct flock wanted = byte_lock(F_WRLCK, 1);
    int r = fcntl(fd, F_SETLKW, &wanted) ? errno : 0;
    printf("fcntl F_SETLKW of a byte whose holder waits for ours: %s (the child was waiting: %s)\n",
           error_name(r), yes_no(waiting));
    mine.l_type = F_UNLCK;
    fcntl(fd, F_SETLK, &mine);
    int status;
    waitpid(child, &status, 0);
    printf("and the child got our byte once we let go: %s\n",
           yes_no(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    close(ready[0]), close(ready[1]);
}

int main(int argc, char **argv)
{
    (void)argc;
    alarm(10);
    char self[4096];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(path, sizeof path, "%s/files_lock.%d", dirname(self), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    must_succeed(fd < 0 ? errno : 0, "open");
    must_succeed(write(fd, "0123456789", 10) == 10 ? 0 : EIO, "write");
    lseek(fd, 0, SEEK_SET); /* lockf locks from the file position: byte 0, as the others */
    int closed = 999;
    must_succeed(fcntl(closed, F_GETFD) < 0 ? 0 : EEXIST, "fd 999 is not open");
    for (enum lock_kind k = FLOCK; k <= LOCKF; k++)
        held_by_a_child(fd, k);
    without_waiting(fd, closed);
    deadlock(fd);
    unlink(path);
    close(fd);
    return 0;
}
