/* Semaphores that another process posts: a named one (sem_open) and an unnamed one with
 * pshared 1 in shared memory. A child process waits for a byte on a pipe and then posts;
 * the parent's main thread waits in sem_wait / sem_timedwait / sem_clockwait while a ticker
 * thread ticks and then writes the byte. A timed wait that nobody posts to times out with
 * ETIMEDOUT, and one with tv_nsec out of range fails with EINVAL.
 * With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits
 * (under the shim: the one OS thread of the green threads and the pool's worker that waits
 * for the other process's post). */
#include "coop.h"
#include "sem_waits.h"

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int go[2]; /* the ticker writes a byte here; the child posts when it reads it */

static void let_the_child_post(void *arg)
{
    (void)arg;
    must_succeed(write(go[1], "x", 1) == 1 ? 0 : errno, "write");
}

static pid_t child_that_posts(sem_t *s)
{
    must_succeed(pipe(go) ? errno : 0, "pipe");
    pid_t pid = fork();
    must_succeed(pid < 0 ? errno : 0, "fork");
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1 || sem_post(s) != 0)
            _exit(1);
        _exit(0);
    }
    close(go[0]);
    return pid;
}

static void posted_by_a_child(const char *what, sem_t *s, enum wait_kind kind, const char *where)
{
    pid_t child = child_that_posts(s);
    struct coop_ticker t;
    coop_start(&t, where, let_the_child_post, NULL);
    int r = wait_in(kind, s, 10000);
    int error = errno;
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    close(go[1]);
    int status;
    must_succeed(waitpid(child, &status, 0) < 0 ? errno : 0, "waitpid");
    printf("%s %s, posted by a child process: %s, ticks meanwhile: %d, child exit: %d\n", what,
           wait_names[kind], result(r, error), ticks, WEXITSTATUS(status));
}

static void nobody_posts(const char *what, sem_t *s)
{
    struct coop_ticker t;
    coop_start(&t, "timeout", NULL, NULL);
    int r = wait_in(TIMEDWAIT, s, 50);
    int error = errno;
    coop_finish(&t);
    struct timespec bad = {.tv_nsec = -1};
    int r2 = sem_timedwait(s, &bad);
    int error2 = errno;
    printf("%s sem_timedwait with nobody posting: %s", what, result(r, error));
    printf(", with tv_nsec -1: %s\n", result(r2, error2));
}

int main(void)
{
    alarm(30);
    printf("sync_sem_shared start\n");
    char name[64];
    snprintf(name, sizeof name, "/gp_sync_sem_shared_%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    must_succeed(named == SEM_FAILED ? errno : 0, "sem_open");
    sem_unlink(name);
    posted_by_a_child("named", named, WAIT, "named-sem_wait");
    posted_by_a_child("named", named, TIMEDWAIT, "named-sem_timedwait");
    posted_by_a_child("named", named, CLOCKWAIT_MONOTONIC, "named-sem_clockwait");
    nobody_posts("named", named);
    sem_close(named);

    sem_t *mapped = mmap(NULL, sizeof *mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
    must_succeed(mapped == MAP_FAILED ? errno : 0, "mmap");
    must_succeed(sem_init(mapped, 1, 0) ? errno : 0, "sem_init");
    posted_by_a_child("pshared", mapped, WAIT, "pshared-sem_wait");
    posted_by_a_child("pshared", mapped, TIMEDWAIT, "pshared-sem_timedwait");
    nobody_posts("pshared", mapped);
    sem_destroy(mapped);
    printf("sync_sem_shared done\n");
    return 0;
}
