/* Reads and writes of the Linux-specific fds, and connects on unix sockets, made by the
 * main thread while the ticker (coop.h) ticks and then does what ends the wait:
 *  - eventfd_read on a zero counter: the ticker adds 5 with eventfd_write; the same with
 *    read() and write() of eight bytes;
 *  - eventfd_write that would overflow the counter: the ticker reads it;
 *  - read() of a timerfd: the ticker arms it to expire in 1 ms;
 *  - read() of an inotify fd watching a directory: the ticker creates a file there;
 *  - connect on a unix stream socket and on a unix seqpacket socket whose listener's
 *    backlog is full: the ticker accepts the connection that fills it. */
#include "poll_util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <sys/un.h>

static void add_five(void *arg)
{
    must_succeed(eventfd_write(*(int *)arg, 5) ? errno : 0, "eventfd_write");
}

static void write_five(void *arg)
{
    uint64_t five = 5;
    must_succeed(write(*(int *)arg, &five, sizeof five) == sizeof five ? 0 : errno, "write");
}

static void take_counter(void *arg)
{
    eventfd_t v;
    must_succeed(eventfd_read(*(int *)arg, &v) ? errno : 0, "eventfd_read");
}

static void eventfd_waits(void)
{
    int fd = eventfd(0, EFD_CLOEXEC);
    struct coop_call c;
    eventfd_t value = 0;
    char buf[64];
    COOP_CALL(&c, "eventfd_read", add_five, &fd, eventfd_read(fd, &value));
    printf("eventfd_read of a zero counter, 5 added: %s, value %llu, ticks while it waited: %d\n",
           call_result(buf, sizeof buf, &c), (unsigned long long)value, c.ticks);

    uint64_t got = 0;
    COOP_CALL(&c, "eventfd-read", write_five, &fd, read(fd, &got, sizeof got));
    printf("read() of a zero eventfd counter, 5 written: %s, value %llu, ticks while it waited: "
           "%d\n",
           call_result(buf, sizeof buf, &c), (unsigned long long)got, c.ticks);

    must_succeed(eventfd_write(fd, UINT64_MAX - 1) ? errno : 0, "fill the counter");
    COOP_CALL(&c, "eventfd_write", take_counter, &fd, eventfd_write(fd, 1));
    must_succeed(eventfd_read(fd, &value) ? errno : 0, "eventfd_read");
    printf("eventfd_write of 1 onto a full counter, the ticker reads it: %s, counter then %llu, "
           "ticks while it waited: %d\n",
           call_result(buf, sizeof buf, &c), (unsigned long long)value, c.ticks);
    close(fd);
}

static void arm_in_1ms(void *arg)
{
    struct itimerspec in_1ms = {.it_value = {.tv_nsec = 1000000}};
    must_succeed(timerfd_settime(*(int *)arg, 0, &in_1ms, NULL) ? errno : 0, "timerfd_settime");
}

static void timerfd_waits(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    must_succeed(fd < 0 ? errno : 0, "timerfd_create");
    struct coop_call c;
    uint64_t expirations = 0;
    COOP_CALL(&c, "timerfd", arm_in_1ms, &fd, read(fd, &expirations, sizeof expirations));
    char buf[64];
    printf("read() of a timerfd, the ticker arms it: %s, expirations %llu, ticks while it waited: "
           "%d\n",
           call_result(buf, sizeof buf, &c), (unsigned long long)expirations, c.ticks);
    close(fd);
}

static char dir[] = "/tmp/poll_fdtypes.XXXXXX";
static char file[sizeof dir + 8];

static void create_file(void *arg)
{
    (void)arg;
    int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    must_succeed(fd < 0 ? errno : 0, "create");
    close(fd);
}

static void inotify_waits(void)
{
    must_succeed(mkdtemp(dir) ? 0 : errno, "mkdtemp");
    snprintf(file, sizeof file, "%s/made", dir);
    int fd = inotify_init1(IN_CLOEXEC);
    must_succeed(fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0 ? errno : 0, "inotify");
    struct coop_call c;
    union {
        struct inotify_event e;
        char bytes[sizeof(struct inotify_event) + 256];
    } ev;
    COOP_CALL(&c, "inotify", create_file, NULL, read(fd, &ev, sizeof ev));
    char buf[64];
    printf("read() of an inotify fd, the ticker creates a file: %s, event IN_CREATE: %s, name "
           "%s, ticks while it waited: %d\n",
           c.r > 0 ? "an event" : call_result(buf, sizeof buf, &c),
           yes_no(c.r > 0 && (ev.e.mask & IN_CREATE)), c.r > 0 ? ev.e.name : "-", c.ticks);
    close(fd);
    unlink(file);
    rmdir(dir);
}

static void accept_one(void *arg)
{
    int fd = accept(*(int *)arg, NULL, NULL);
    must_succeed(fd < 0 ? errno : 0, "accept");
    close(fd);
}

/* A listener with backlog 0 takes one pending connection; the next connect waits until it
 * is accepted. */
static void unix_connect_waits(int type, const char *name)
{
    int l = socket(AF_UNIX, type, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "poll_fdtypes.%d.%d", (int)getpid(), type);
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    must_succeed(bind(l, (struct sockaddr *)&a, len) || listen(l, 0) ? errno : 0, "listen");
    int first = socket(AF_UNIX, type, 0), second = socket(AF_UNIX, type, 0);
    must_succeed(connect(first, (struct sockaddr *)&a, len) ? errno : 0, "first connect");
    struct coop_call c;
    COOP_CALL(&c, name, accept_one, &l, connect(second, (struct sockaddr *)&a, len));
    char buf[64];
    printf("connect on a unix %s socket, backlog full until the ticker accepts: %s, O_NONBLOCK "
           "left: %s, ticks while it waited: %d\n",
           name, call_result(buf, sizeof buf, &c), yes_no(fcntl(second, F_GETFL) & O_NONBLOCK),
           c.ticks);
    close(first);
    close(second);
    close(l);
}

int main(void)
{
    safety_alarm();
    eventfd_waits();
    timerfd_waits();
    inotify_waits();
    unix_connect_waits(SOCK_STREAM, "stream");
    unix_connect_waits(SOCK_SEQPACKET, "seqpacket");
    printf("done\n");
    return 0;
}
