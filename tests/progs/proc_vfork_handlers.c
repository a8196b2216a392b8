/* A vfork child that resets the program's signal handlers to SIG_DFL before it ends, as
 * Python's subprocess does in its vfork child before exec (_posixsubprocess.c,
 * reset_signal_handlers). vfork shares memory but not the signal table: the reset is the
 * child's own, and the parent's SIGCHLD handler must still run when the child ends and
 * still be what sigaction reports. (Under the shim the child once overwrote the parent's
 * table of handlers: the SIGCHLD handler never ran, and asyncio waited forever for its
 * child.) A second thread waits in read() for the byte the handler writes. */
#include "proc_util.h"

static int wake[2];

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(wake[1], "c", 1) != 1)
        _exit(101);
    errno = saved;
}

static void *wait_for_handler(void *arg)
{
    (void)arg;
    char c;
    ssize_t n;
    while ((n = read(wake[0], &c, 1)) < 0 && errno == EINTR)
        ;
    return (void *)(intptr_t)n;
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    CHECK(pipe2(wake, O_CLOEXEC) == 0, "pipe2");
    struct sigaction sa = {.sa_handler = on_child, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    pthread_t waiter = start_thread(NULL, wait_for_handler, NULL);
    usleep(COOP_TICK_US); /* the waiter waits */
    report_os_threads("vfork-wait");

    pid_t pid = vfork();
    if (pid == 0) {
        struct sigaction dfl = {.sa_handler = SIG_DFL}, seen, now;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGCHLD, NULL, &seen);
        sigaction(SIGCHLD, &dfl, NULL);
        sigaction(SIGCHLD, NULL, &now);
        /* 5: it saw the program's handler, then its own reset. */
        _exit(seen.sa_handler == on_child && now.sa_handler == SIG_DFL ? 5 : 6);
    }
    CHECK(pid > 0, "vfork");
    long got = (long)(intptr_t)join_or_die(waiter);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    struct sigaction now;
    CHECK(sigaction(SIGCHLD, NULL, &now) == 0, "sigaction");
    printf("the child: %s\n", status_text(status));
    printf("the parent's SIGCHLD handler ran: %s\n", yes_no(got == 1));
    printf("sigaction still reports the parent's handler: %s\n", yes_no(now.sa_handler == on_child));
    return 0;
}
