/* Deferred cancellation at the cancellation points beyond thr_cancel's: a thread blocked in
 * each call is cancelled there, its cleanup handler runs, pthread_join returns
 * PTHREAD_CANCELED, and the call never returns to the thread; then what the cancelled call
 * left behind is looked at (a cancelled call has no side effects but those of EINTR).
 *
 * The blocking calls: poll, ppoll, select, pselect, epoll_wait, splice, recvmmsg,
 * eventfd_read, mq_receive, open of a FIFO, sem_wait, sem_timedwait, waitpid, sigwait,
 * sigwaitinfo, pause, sigsuspend, system (the shell is killed), msgrcv (a wait in the
 * worker pool under the shim, which natively ends when the queue is removed), fgets on a
 * pipe and fprintf to a full pipe (the FILE's lock is given back, and the FILE holds what
 * glibc's holds after a cancelled read or write), and fgets again after a signal handler
 * jumped out of it. Then calls that do not block but act on a request pending at their
 * entry: pread, pwrite, fsync, fdatasync, open, sem_wait with a token there; fgets with a
 * line in its buffer is no cancellation point (glibc's stdio is one only where it reads or
 * writes), the fgets after it is. Last, syscall(SYS_read) is no cancellation point: it
 * returns, and the next cancellation point acts.
 *
 * The canceller waits until the target has announced that it is about to block, and a
 * little more, so that natively the target is inside the call; if it were not yet, the
 * call would act on the request at its start: the output is the same either way. */
#include "thr_cancel.h"

#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <setjmp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void must(bool ok, const char *what)
{
    must_succeed(ok ? 0 : errno, what);
}

/* ---- waits for fds ---- */

static int fds[2];

static void block_poll(void)
{
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    poll(&p, 1, 10000);
}
static void block_ppoll(void)
{
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    ppoll(&p, 1, NULL, NULL);
}
static void block_select(void)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fds[0], &r);
    select(fds[0] + 1, &r, NULL, NULL, NULL);
}
static void block_pselect(void)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fds[0], &r);
    struct timespec ten = {.tv_sec = 10};
    pselect(fds[0] + 1, &r, NULL, NULL, &ten, NULL);
}
static int epfd;
static void block_epoll_wait(void)
{
    struct epoll_event ev;
    epoll_wait(epfd, &ev, 1, -1);
}
static void block_splice(void)
{
    splice(fds[0], NULL, fds[1], NULL, 1, 0);
}
static void block_recvmmsg(void)
{
    char buf[16];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct mmsghdr m = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
    recvmmsg(fds[0], &m, 1, 0, NULL);
}
static void block_eventfd_read(void)
{
    eventfd_t value;
    eventfd_read(fds[0], &value);
}
static mqd_t queue;
static void block_mq_receive(void)
{
    char msg[64];
    mq_receive(queue, msg, sizeof msg, NULL);
}
static char fifo[64];
static void block_open_fifo(void) { open(fifo, O_RDONLY); }

static void fd_waits(void)
{
    must(pipe(fds) == 0, "pipe");
    cancel_blocked(&(struct target){"poll", block_poll});
    cancel_blocked(&(struct target){"ppoll", block_ppoll});
    cancel_blocked(&(struct target){"select", block_select});
    cancel_blocked(&(struct target){"pselect", block_pselect});
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    must(epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll");
    cancel_blocked(&(struct target){"epoll_wait", block_epoll_wait});
    close(epfd);
    int out[2];
    must(pipe(out) == 0, "pipe");
    int in = fds[1];
    fds[1] = out[1];
    cancel_blocked(&(struct target){"splice", block_splice});
    close(out[0]);
    close(out[1]);
    close(in);
    close(fds[0]);

    must(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) == 0, "socketpair");
    cancel_blocked(&(struct target){"recvmmsg", block_recvmmsg});
    close(fds[0]);
    close(fds[1]);

    fds[0] = eventfd(0, EFD_CLOEXEC);
    must(fds[0] >= 0, "eventfd");
    cancel_blocked(&(struct target){"eventfd_read", block_eventfd_read});
    eventfd_write(fds[0], 5);
    eventfd_t value = 0;
    eventfd_read(fds[0], &value);
    printf("  the counter is all there after: %llu\n", (unsigned long long)value);
    close(fds[0]);

    char name[64];
    snprintf(name, sizeof name, "/cancel_points_%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
    must(queue != (mqd_t)-1, "mq_open");
    mq_unlink(name);
    cancel_blocked(&(struct target){"mq_receive", block_mq_receive});
    mq_close(queue);

    char dir[] = "/tmp/cancel_points.XXXXXX";
    must(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    must(mkfifo(fifo, 0600) == 0, "mkfifo");
    cancel_blocked(&(struct target){"open of a FIFO", block_open_fifo});
    int w = open(fifo, O_WRONLY | O_NONBLOCK);
    printf("  a writer's open finds no reader left: %s\n", error_name(w < 0 ? errno : 0));
    unlink(fifo);
    rmdir(dir);
}

/* ---- semaphores, children, signals ---- */

static sem_t sem;
static void block_sem_wait(void) { sem_wait(&sem); }
static void block_sem_timedwait(void)
{
    struct timespec at = deadline_in(CLOCK_REALTIME, 10000);
    sem_timedwait(&sem, &at);
}

static pid_t child;
static void block_waitpid(void)
{
    int status;
    waitpid(child, &status, 0);
}

static sigset_t usr1;
static void block_sigwait(void)
{
    int sig;
    sigwait(&usr1, &sig);
}
static void block_sigwaitinfo(void) { sigwaitinfo(&usr1, NULL); }
static void block_pause(void) { pause(); }
static void block_sigsuspend(void)
{
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    sigsuspend(&mask);
}

static int shell_pipe[2];
static char command[128];
static void block_system(void) { system(command); }

static int queue_id;
static void block_msgrcv(void)
{
    struct {
        long type;
        char text[16];
    } msg;
    msgrcv(queue_id, &msg, sizeof msg.text, 0, 0);
}

static void other_waits(void)
{
    must(sem_init(&sem, 0, 0) == 0, "sem_init");
    cancel_blocked(&(struct target){"sem_wait", block_sem_wait});
    cancel_blocked(&(struct target){"sem_timedwait", block_sem_timedwait});
    sem_post(&sem);
    printf("  the token is still there: %s\n", yes_no(sem_trywait(&sem) == 0));

    child = fork();
    must(child >= 0, "fork");
    if (child == 0) {
        execl("/bin/sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    cancel_blocked(&(struct target){"waitpid", block_waitpid});
    int status;
    printf("  the child is not reaped: %s\n", yes_no(waitpid(child, &status, WNOHANG) == 0));
    kill(child, SIGKILL);
    printf("  then it is: %s\n", yes_no(waitpid(child, &status, 0) == child &&
                                          WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

    cancel_blocked(&(struct target){"sigwait", block_sigwait});
    cancel_blocked(&(struct target){"sigwaitinfo", block_sigwaitinfo});
    cancel_blocked(&(struct target){"pause", block_pause});
    cancel_blocked(&(struct target){"sigsuspend", block_sigsuspend});

    /* The shell says it has started through a pipe it inherits, and keeps it open until it
     * ends: the end of the pipe says the shell was killed. */
    must(pipe(shell_pipe) == 0, "pipe");
    snprintf(command, sizeof command, "echo started >&%d; exec sleep 30", shell_pipe[1]);
    printf("cancel a thread blocked in system:\n");
    static const struct target shell = {"system", block_system};
    pthread_t th = start_thread(NULL, target_main, (void *)&shell);
    char line[16] = "";
    ssize_t got = read(shell_pipe[0], line, sizeof line - 1);
    printf("  the shell says: %s", got > 0 ? line : "nothing\n");
    close(shell_pipe[1]);
    await_ready();
    cancel_and_join(th);
    printf("  the shell was killed: %s\n", yes_no(read(shell_pipe[0], line, 1) == 0));
    close(shell_pipe[0]);
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    printf("  SIGINT's action is back: %s\n", yes_no(sa.sa_handler == SIG_DFL));

    queue_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    must(queue_id >= 0, "msgget");
    printf("cancel a thread blocked in msgrcv, then remove the queue:\n");
    static const struct target receive = {"msgrcv", block_msgrcv};
    th = start_thread(NULL, target_main, (void *)&receive);
    await_ready();
    int r = pthread_cancel(th);
    msgctl(queue_id, IPC_RMID, NULL);
    print_join(r, join_or_die(th));
}

/* ---- stdio ---- */

static FILE *stream;
static void block_fgets(void)
{
    char line[32];
    fgets(line, sizeof line, stream);
}
static void block_fprintf(void) { fprintf(stream, "line\n"); }

/* A handler that jumps out of fgets: natively the jump leaves glibc's lock of the FILE
 * taken (the thread may take it again: it is recursive); then fgets again, cancelled. */
static sigjmp_buf jump_back;
static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(jump_back, 1);
}

static void *jumps_then_blocks(void *arg)
{
    (void)arg;
    pthread_cleanup_push(handler, "fgets again");
    char line[32];
    if (sigsetjmp(jump_back, 1) != 0)
        printf("  the handler jumped out of fgets\n");
    announce_ready();
    fgets(line, sizeof line, stream);
    printf("  fgets RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void jump_out_of_fgets(void)
{
    must(pipe(fds) == 0, "pipe");
    stream = fdopen(fds[0], "r");
    must(stream != NULL, "fdopen");
    struct sigaction sa = {.sa_handler = jump_out};
    sigaction(SIGUSR2, &sa, NULL);
    printf("a handler jumps out of fgets, then the thread is cancelled in fgets again:\n");
    pthread_t th = start_thread(NULL, jumps_then_blocks, NULL);
    await_ready();
    pthread_kill(th, SIGUSR2);
    await_ready();
    cancel_and_join(th);
    /* The FILE is left as it is: natively the cancelled thread still holds its lock. */
}

/* Another thread stays blocked meanwhile, so that under the shim main's calls on the FILE
 * after a cancellation are cooperative too: they wait for the FILE's lock if the
 * cancelled thread kept it. */
static int bystander_pipe[2];
static void *bystander(void *arg)
{
    (void)arg;
    char c;
    read(bystander_pipe[0], &c, 1);
    return NULL;
}

static void stdio_waits(void)
{
    must(pipe(bystander_pipe) == 0, "pipe");
    pthread_t other = start_thread(NULL, bystander, NULL);
    must(pipe(fds) == 0, "pipe");
    stream = fdopen(fds[0], "r");
    must(stream != NULL, "fdopen");
    cancel_blocked(&(struct target){"fgets on a pipe", block_fgets});
    write(fds[1], "after\n", 6);
    char line[32] = "";
    printf("  then the stream reads: %s", fgets(line, sizeof line, stream) ? line : "nothing\n");
    printf("  error flag: %s\n", yes_no(ferror(stream)));
    fclose(stream);
    close(fds[1]);

    must(pipe(fds) == 0, "pipe");
    stream = fdopen(fds[1], "w");
    must(stream != NULL, "fdopen");
    setvbuf(stream, NULL, _IOLBF, 0);
    fill(fds[1]);
    cancel_blocked(&(struct target){"fprintf to a full pipe", block_fprintf});
    drain(fds[0]);
    fprintf(stream, "after\n");
    char text[64] = "";
    ssize_t got = read(fds[0], text, sizeof text - 1);
    printf("  then the pipe gets %zd bytes:\n%s", got, got > 0 ? text : "");
    printf("  error flag: %s\n", yes_no(ferror(stream)));
    fclose(stream);
    close(fds[0]);
    jump_out_of_fgets();
    close(bystander_pipe[1]);
    join_or_die(other);
    close(bystander_pipe[0]);
}

/* ---- a request pending at the entry of a call that does not block ---- */

static int file;
static FILE *buffered;

static void call_pread(void)
{
    char c;
    pread(file, &c, 1, 0);
}
static void call_pwrite(void) { pwrite(file, "y", 1, 0); }
static void call_fsync(void) { fsync(file); }
static void call_fdatasync(void) { fdatasync(file); }
static void call_open(void) { open("/dev/null", O_RDONLY | O_CLOEXEC); }
static void call_sem_wait(void) { sem_wait(&sem); }
static void call_fgets_twice(void)
{
    char line[32];
    if (fgets(line, sizeof line, buffered))
        printf("  fgets from the buffer returned: %s", line);
    fgets(line, sizeof line, buffered);
}

/* Cancellation disabled until the request has come: then enabled (deferred: that does
 * not act), and the call made. */
static void *pending_main(void *arg)
{
    const struct target *t = arg;
    pthread_cleanup_push(handler, (void *)t->name);
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    wait_step(announce_ready() + 1); /* the request has been made */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    t->block();
    printf("  %s RETURNED\n", t->name);
    pthread_cleanup_pop(0);
    return NULL;
}

static void cancel_pending(const struct target *t)
{
    printf("a request pending when %s starts:\n", t->name);
    pthread_t th = start_thread(NULL, pending_main, (void *)t);
    await_ready();
    int r = pthread_cancel(th);
    go_on();
    print_join(r, join_or_die(th));
}

static void pending_at_entry(void)
{
    char path[] = "/tmp/cancel_points_file.XXXXXX";
    file = mkstemp(path);
    must(file >= 0 && write(file, "x", 1) == 1, "mkstemp");
    unlink(path);
    cancel_pending(&(struct target){"pread", call_pread});
    cancel_pending(&(struct target){"pwrite", call_pwrite});
    cancel_pending(&(struct target){"fsync", call_fsync});
    cancel_pending(&(struct target){"fdatasync", call_fdatasync});
    cancel_pending(&(struct target){"open", call_open});
    close(file);
    sem_post(&sem);
    cancel_pending(&(struct target){"sem_wait with a token", call_sem_wait});
    printf("  the token is still there: %s\n", yes_no(sem_trywait(&sem) == 0));

    must(pipe(fds) == 0, "pipe");
    buffered = fdopen(fds[0], "r");
    must(buffered != NULL, "fdopen");
    write(fds[1], "one\ntwo\n", 8);
    char line[32] = "";
    printf("fgets fills the buffer: %s", fgets(line, sizeof line, buffered) ? line : "nothing\n");
    cancel_pending(&(struct target){"fgets with a line buffered", call_fgets_twice});
    fclose(buffered);
    close(fds[1]);
}

/* ---- syscall() is no cancellation point ---- */

static void *raw_read(void *arg)
{
    (void)arg;
    pthread_cleanup_push(handler, "syscall(SYS_read)");
    announce_ready();
    char c;
    long r = syscall(SYS_read, fds[0], &c, 1);
    printf("  syscall(SYS_read) returned %ld\n", r);
    pthread_testcancel();
    printf("  pthread_testcancel RETURNED\n");
    pthread_cleanup_pop(0);
    return NULL;
}

static void raw_syscall(void)
{
    must(pipe(fds) == 0, "pipe");
    printf("cancel a thread blocked in syscall(SYS_read), then write a byte:\n");
    pthread_t th = start_thread(NULL, raw_read, NULL);
    await_ready();
    int r = pthread_cancel(th);
    write(fds[1], "x", 1);
    print_join(r, join_or_die(th));
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(30);
    printf("cancel_points start\n");
    /* SIGUSR1 is for the signal waits: blocked in every thread, never sent. */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);

    fd_waits();
    other_waits();
    stdio_waits();
    pending_at_entry();
    raw_syscall();
    printf("cancel_points done\n");
    return 0;
}
