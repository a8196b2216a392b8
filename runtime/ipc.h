/* Waits for other processes through System V message queues and semaphores, POSIX message
 * queues, and a terminal's output. Each is first tried without waiting, inline.
 *
 * A POSIX message queue descriptor is an fd that poll reports on: a receive or send that
 * would wait parks on the hub until the queue is ready, as read does on a pipe; a signal
 * handler ends the wait with EINTR unless it has SA_RESTART (signal(7)). The System V calls
 * have nothing to poll: they wait in the worker pool (gp__pool_wait), which a signal
 * handler does not interrupt (natively they would fail with EINTR); tcdrain and
 * tcsendbreak (which waits for the break to be sent) too.
 *
 * All functions return a count or 0, or a negative errno. */
#ifndef GP_IPC_H
#define GP_IPC_H

#include <mqueue.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <time.h>

ssize_t gp__ipc_msgrcv(int id, void *msg, size_t size, long type, int flags);
int gp__ipc_msgsnd(int id, const void *msg, size_t size, int flags);
/* semop when timeout is NULL and use_semop is true, else semtimedop. */
int gp__ipc_semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *timeout,
                       bool use_semop);
/* mq_timedreceive and mq_timedsend; abs_timeout NULL: mq_receive and mq_send. */
ssize_t gp__ipc_mq_receive(mqd_t q, char *msg, size_t size, unsigned *prio,
                           const struct timespec *abs_timeout);
int gp__ipc_mq_send(mqd_t q, const char *msg, size_t size, unsigned prio,
                    const struct timespec *abs_timeout);
int gp__ipc_tcdrain(int fd);
int gp__ipc_tcsendbreak(int fd, int duration);

#endif
