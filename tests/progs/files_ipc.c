/* Waits for another party through System V message queues and semaphores and POSIX
 * message queues. For each call that waits, the main thread waits in it while a ticker
 * thread (coop.h) ticks and only then does what ends the wait (sends, receives, posts,
 * removes the queue); under the shim both are green threads of one OS thread, so the call
 * returning at all proves the ticker ran meanwhile. What the calls return (counts, bytes,
 * priorities, errnos) is compared with the native run, with the calls that do not wait and
 * the errors: ENOMSG, E2BIG, EIDRM, EAGAIN, EINVAL, EBADF, EMSGSIZE, ETIMEDOUT. tcdrain and
 * tcsendbreak on a pseudo-terminal have nothing to wait for, their results only are
 * compared.
 *
 * The ticker reports the OS thread count while main waits: under the shim a POSIX message
 * queue wait is on the hub, in the one OS thread (they come first, before any worker
 * exists), a System V wait on a worker thread. */
#include "coop.h"

#include <fcntl.h>
#include <mqueue.h>
#include <pty.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <termios.h>

struct message {
    long type;
    char text[16];
};

static int queue, sems;
static mqd_t mq;

static void print_result(const char *what, long r, int err)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, error_name(err));
    else
        printf("%s: %ld\n", what, r);
}

#define CALL(what, call)                                                                      \
    do {                                                                                      \
        errno = 0;                                                                            \
        long r_ = (long)(call);                                                               \
        print_result((what), r_, errno);                                                      \
    } while (0)

/* Runs the call between coop_start and coop_finish and says how many ticks came first. */
#define WAIT(what, wake, call)                                                                \
    do {                                                                                      \
        struct coop_ticker ticker_;                                                           \
        coop_start(&ticker_, (what), (wake), NULL);                                           \
        errno = 0;                                                                            \
        long r_ = (long)(call);                                                               \
        int err_ = errno, ticks_ = coop_ticks(&ticker_);                                      \
        coop_finish(&ticker_);                                                                \
        print_result((what), r_, err_);                                                       \
        printf("%s waited while the other thread ticked %d times\n", (what), ticks_);        \
    } while (0)

/* ---- System V message queues ---- */

static void send_hello(void *unused)
{
    (void)unused;
    struct message m = {.type = 7};
    strcpy(m.text, "hello");
    must_succeed(msgsnd(queue, &m, 6, 0) ? errno : 0, "msgsnd");
}

static void receive_one(void *unused)
{
    (void)unused;
    struct message m;
    must_succeed(msgrcv(queue, &m, sizeof m.text, 0, 0) < 0 ? errno : 0, "msgrcv");
}

static void remove_queue(void *unused)
{
    (void)unused;
    must_succeed(msgctl(queue, IPC_RMID, NULL) ? errno : 0, "msgctl IPC_RMID");
}

static void message_queues(void)
{
    queue = msgget(IPC_PRIVATE, 0600);
    must_succeed(queue < 0 ? errno : 0, "msgget");
    struct message m = {0};
    CALL("msgrcv IPC_NOWAIT of an empty queue", msgrcv(queue, &m, sizeof m.text, 0, IPC_NOWAIT));
    WAIT("msgrcv", send_hello, msgrcv(queue, &m, sizeof m.text, 0, 0));
    printf("received type %ld \"%s\"\n", m.type, m.text);
    send_hello(NULL);
    CALL("msgrcv of a 6-byte message into 2 bytes", msgrcv(queue, &m, 2, 0, 0));
    CALL("the same with MSG_NOERROR", msgrcv(queue, &m, 2, 0, MSG_NOERROR));
    CALL("msgrcv of type 9 with IPC_NOWAIT", msgrcv(queue, &m, sizeof m.text, 9, IPC_NOWAIT));

    /* A queue of 16 bytes: one message of 16 fills it, the next send waits. */
    struct msqid_ds ds;
    must_succeed(msgctl(queue, IPC_STAT, &ds) ? errno : 0, "msgctl IPC_STAT");
    ds.msg_qbytes = 16;
    must_succeed(msgctl(queue, IPC_SET, &ds) ? errno : 0, "msgctl IPC_SET");
    m.type = 3;
    memset(m.text, 'x', sizeof m.text);
    CALL("msgsnd of 16 bytes", msgsnd(queue, &m, 16, 0));
    CALL("msgsnd IPC_NOWAIT to the full queue", msgsnd(queue, &m, 16, IPC_NOWAIT));
    WAIT("msgsnd to the full queue", receive_one, msgsnd(queue, &m, 16, 0));
    m.type = 0;
    CALL("msgsnd of type 0", msgsnd(queue, &m, 1, 0));
    m.type = 3;
    CALL("msgsnd of more than a message may hold", msgsnd(queue, &m, 1 << 20, 0));
    receive_one(NULL);
    WAIT("msgrcv of a queue that is removed", remove_queue, msgrcv(queue, &m, sizeof m.text, 0, 0));
    CALL("msgrcv of the removed queue", msgrcv(queue, &m, sizeof m.text, 0, 0));
    CALL("msgsnd to the removed queue", msgsnd(queue, &m, 1, 0));
}

/* ---- System V semaphores ---- */

static void post(void *unused)
{
    (void)unused;
    struct sembuf up = {.sem_num = 0, .sem_op = 1};
    must_succeed(semop(sems, &up, 1) ? errno : 0, "semop");
}

static void post_second(void *unused)
{
    (void)unused;
    struct sembuf up = {.sem_num = 1, .sem_op = 2};
    must_succeed(semop(sems, &up, 1) ? errno : 0, "semop");
}

static void semaphores(void)
{
    sems = semget(IPC_PRIVATE, 2, 0600);
    must_succeed(sems < 0 ? errno : 0, "semget");
    struct sembuf down = {.sem_num = 0, .sem_op = -1};
    struct sembuf nowait = {.sem_num = 0, .sem_op = -1, .sem_flg = IPC_NOWAIT};
    CALL("semop IPC_NOWAIT of a semaphore at 0", semop(sems, &nowait, 1));
    WAIT("semop", post, semop(sems, &down, 1));
    struct sembuf both[2] = {{.sem_num = 0, .sem_op = 1},
                             {.sem_num = 1, .sem_op = -2, .sem_flg = SEM_UNDO}};
    WAIT("semop of two operations at once", post_second, semop(sems, both, 2));
    printf("values after: %d %d\n", semctl(sems, 0, GETVAL), semctl(sems, 1, GETVAL));
    struct timespec long_wait = {5, 0}, short_wait = {0, 20000000}, bad = {0, 2000000000};
    struct sembuf two_down = {.sem_num = 0, .sem_op = -2};
    WAIT("semtimedop", post, semtimedop(sems, &two_down, 1, &long_wait));
    CALL("semtimedop that times out", semtimedop(sems, &down, 1, &short_wait));
    CALL("semtimedop with a bad timeout", semtimedop(sems, &down, 1, &bad));
    CALL("semop of no operations", semop(sems, &down, 0));
    struct sembuf out_of_range = {.sem_num = 5, .sem_op = -1};
    CALL("semop of semaphore 5 of 2", semop(sems, &out_of_range, 1));
    CALL("semop of a bad set", semop(-1, &down, 1));
    semctl(sems, 0, IPC_RMID);
    CALL("semop of the removed set", semop(sems, &down, 1));
}

/* ---- POSIX message queues ---- */

static void mq_send_hello(void *unused)
{
    (void)unused;
    must_succeed(mq_send(mq, "hello", 6, 5) ? errno : 0, "mq_send");
}

static void mq_receive_one(void *unused)
{
    (void)unused;
    char buf[64];
    must_succeed(mq_receive(mq, buf, sizeof buf, NULL) < 0 ? errno : 0, "mq_receive");
}

static struct timespec in_ms(long ms) { return deadline_in(CLOCK_REALTIME, ms); }

static void posix_queues(void)
{
    char name[64];
    snprintf(name, sizeof name, "/greenpatch-files-ipc-%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 2, .mq_msgsize = 64};
    mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    must_succeed(mq == (mqd_t)-1 ? errno : 0, "mq_open");
    mq_unlink(name);
    char buf[64] = "";
    unsigned prio = 0;
    WAIT("mq_receive", mq_send_hello, mq_receive(mq, buf, sizeof buf, &prio));
    printf("received \"%s\", priority %u\n", buf, prio);
    struct timespec later = in_ms(5000), soon = in_ms(20), past = {1, 0}, bad = {0, 2000000000};
    WAIT("mq_timedreceive", mq_send_hello, mq_timedreceive(mq, buf, sizeof buf, &prio, &later));
    CALL("mq_timedreceive that times out", mq_timedreceive(mq, buf, sizeof buf, &prio, &soon));
    CALL("mq_timedreceive with a time long past",
         mq_timedreceive(mq, buf, sizeof buf, &prio, &past));
    CALL("mq_timedreceive with a bad timeout", mq_timedreceive(mq, buf, sizeof buf, &prio, &bad));
    mq_send_hello(NULL);
    CALL("mq_timedreceive of a message with a bad timeout",
         mq_timedreceive(mq, buf, sizeof buf, &prio, &bad));
    CALL("mq_receive into a buffer smaller than the queue's messages",
         mq_receive(mq, buf, 10, &prio));
    mq_receive_one(NULL);

    CALL("mq_send", mq_send(mq, "one", 4, 1));
    CALL("mq_send", mq_send(mq, "two", 4, 2));
    WAIT("mq_send to the full queue", mq_receive_one, mq_send(mq, "three", 6, 3));
    soon = in_ms(20);
    CALL("mq_timedsend to the full queue that times out", mq_timedsend(mq, "four", 5, 4, &soon));
    later = in_ms(5000);
    WAIT("mq_timedsend to the full queue", mq_receive_one, mq_timedsend(mq, "four", 5, 4, &later));
    CALL("mq_send of more than the queue's message size", mq_send(mq, buf, 65, 0));
    CALL("mq_send with a priority too high", mq_send(mq, "x", 1, 1u << 20));
    for (int i = 0; i < 2; i++) {
        ssize_t n = mq_receive(mq, buf, sizeof buf, &prio);
        printf("mq_receive: %zd \"%s\" priority %u\n", n, n > 0 ? buf : "", prio);
    }
    struct mq_attr nonblocking = {.mq_flags = O_NONBLOCK};
    mq_setattr(mq, &nonblocking, NULL);
    CALL("mq_receive with O_NONBLOCK of an empty queue", mq_receive(mq, buf, sizeof buf, &prio));
    mq_close(mq);
    CALL("mq_receive of a closed queue", mq_receive(mq, buf, sizeof buf, &prio));
    CALL("mq_send to a closed queue", mq_send(mq, "x", 1, 0));

    mqd_t write_only = mq_open(name, O_WRONLY | O_CREAT, 0600, &attr);
    CALL("mq_receive of a write-only queue", mq_receive(write_only, buf, sizeof buf, &prio));
    mq_close(write_only);
    mq_unlink(name);
}

/* ---- terminals ---- */

static void terminals(void)
{
    int master, slave;
    must_succeed(openpty(&master, &slave, NULL, NULL, NULL) ? errno : 0, "openpty");
    must_succeed(write(slave, "output\n", 7) == 7 ? 0 : EIO, "write");
    CALL("tcdrain of a pseudo-terminal", tcdrain(slave));
    int p[2];
    must_succeed(pipe(p) ? errno : 0, "pipe");
    CALL("tcdrain of a pipe", tcdrain(p[0]));
    CALL("tcdrain of a closed fd", tcdrain(999));
    CALL("tcsendbreak of a pseudo-terminal", tcsendbreak(slave, 0));
    CALL("tcsendbreak of a pipe", tcsendbreak(p[0], 0));
    close(p[0]), close(p[1]), close(master), close(slave);
}

int main(void)
{
    alarm(10);
    posix_queues(); /* first: under the shim their waits need no worker thread */
    message_queues();
    semaphores();
    terminals();
    return 0;
}
