/* Waits for another party must not starve the worker pool, nor wait in line for it: run
 * with GREENPATCH_POOL_SIZE=1, four threads wait in msgrcv (natively four blocked threads;
 * under the shim four waits in the pool, beyond its size), then main syncs a file to the
 * disk (a job for the pool's one worker) and only then sends the four messages. If the
 * waits took the pool's place, or waited in line, the sync would never run, or some
 * receiver would never get its message. */
#include "thread_prog.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/msg.h>
#include <unistd.h>

enum { RECEIVERS = 4 };

struct message {
    long type;
    char text[8];
};

static int queue;

static void *receiver(void *arg)
{
    struct message m;
    ssize_t n = msgrcv(queue, &m, sizeof m.text, (long)(intptr_t)arg, 0);
    return (void *)(intptr_t)(n == 2 && m.type == (long)(intptr_t)arg);
}

int main(int argc, char **argv)
{
    (void)argc;
    alarm(10);
    queue = msgget(IPC_PRIVATE, 0600);
    must_succeed(queue < 0 ? errno : 0, "msgget");
    pthread_t threads[RECEIVERS];
    for (intptr_t i = 0; i < RECEIVERS; i++)
        threads[i] = start_thread(NULL, receiver, (void *)(i + 1));
    /* Under the shim the receivers, runnable since their creation, all run into their
     * msgrcv while main sleeps; natively the sleep only makes that likely. */
    usleep(20000);
    report_os_threads("receivers-waiting");

    char self[4096], path[4200];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(path, sizeof path, "%s/files_waits.%d", dirname(self), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    must_succeed(fd < 0 ? errno : 0, "open");
    must_succeed(write(fd, "data", 4) == 4 ? 0 : EIO, "write");
    int r = fsync(fd) ? errno : 0;
    printf("fsync while %d threads wait for messages: %s\n", RECEIVERS, error_name(r));
    close(fd);
    unlink(path);

    for (long i = 1; i <= RECEIVERS; i++) {
        struct message m = {.type = i, .text = "m"};
        must_succeed(msgsnd(queue, &m, 2, 0) ? errno : 0, "msgsnd");
    }
    int right = 0;
    for (int i = 0; i < RECEIVERS; i++)
        right += (int)(intptr_t)join_or_die(threads[i]);
    printf("every receiver got its message: %s\n", yes_no(right == RECEIVERS));
    msgctl(queue, IPC_RMID, NULL);
    return 0;
}
