/* A thread whose event loop always finds something ready must not starve a thread that
 * waits: the shape of redis-benchmark --threads, whose loops that have issued their last
 * requests spin on EPOLLOUT until the other loops have read their last replies.
 * For each of epoll_wait, poll and select: a waiter thread waits (with the same call) for a
 * pipe to become readable; the spinner thread loops on a socket that is always writable
 * until the waiter says it has seen the byte; main writes the byte once the spinner is in
 * its loop. Natively the threads run side by side. Under the shim, the spinner's call
 * returns at once every time, and if it never let the others run, the waiter would never
 * be woken and the program would hang (its alarm ends it). */
#include "thread_prog.h"

#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { EPOLL, POLL, SELECT };
static const char *const mode_names[] = {"epoll_wait", "poll", "select"};

static enum mode mode;
static int pipe_fds[2], sock[2];
static atomic_bool spinning, waiter_saw_byte;

/* Waits with the mode's call, timeout_ms (-1: for ever), for fd to be readable (or
 * writable); returns the call's count. */
static int wait_for(int fd, bool writable, int timeout_ms)
{
    switch (mode) {
    case EPOLL: {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = writable ? EPOLLOUT : EPOLLIN, .data.fd = fd}, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        int n = epoll_wait(ep, &out, 1, timeout_ms);
        close(ep);
        return n;
    }
    case POLL: {
        struct pollfd p = {.fd = fd, .events = writable ? POLLOUT : POLLIN};
        return poll(&p, 1, timeout_ms);
    }
    case SELECT: {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(fd, &set);
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
        return select(fd + 1, writable ? NULL : &set, writable ? &set : NULL, NULL,
                      timeout_ms < 0 ? NULL : &tv);
    }
    }
    return -1;
}

static void *waiter(void *arg)
{
    (void)arg;
    int n = wait_for(pipe_fds[0], false, -1);
    char c;
    bool got = n == 1 && read(pipe_fds[0], &c, 1) == 1 && c == 'x';
    atomic_store(&waiter_saw_byte, got);
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    bool always_ready = true;
    atomic_store(&spinning, true);
    /* Ends when the waiter has seen the byte; the alarm bounds it otherwise. */
    while (!atomic_load(&waiter_saw_byte))
        always_ready &= wait_for(sock[0], true, 1000) == 1;
    report_os_threads(mode_names[mode]);
    return (void *)(long)always_ready;
}

int main(void)
{
    alarm(10);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (mode = EPOLL; mode <= SELECT; mode++) {
        atomic_store(&spinning, false);
        atomic_store(&waiter_saw_byte, false);
        if (pipe(pipe_fds) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sock) != 0)
            return 1;
        pthread_t w, s;
        pthread_create(&w, NULL, waiter, NULL);
        pthread_create(&s, NULL, spinner, NULL);
        while (!atomic_load(&spinning))
            usleep(1000);
        if (write(pipe_fds[1], "x", 1) != 1)
            return 1;
        void *ready;
        pthread_join(s, &ready);
        pthread_join(w, NULL);
        printf("%s: the waiter saw the byte while the spinner's call was always ready: %s, "
               "every spin ready: %s\n",
               mode_names[mode], yes_no(atomic_load(&waiter_saw_byte)), yes_no(ready != NULL));
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        close(sock[0]);
        close(sock[1]);
    }
    return 0;
}
