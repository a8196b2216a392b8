/* Regular files, file locks, System V and POSIX IPC, and name resolution under the shim.
 * Each helper program (tests/progs/files_*.c, resolve_*.c) runs natively and under the shim;
 * stdout must be what the test expects and the same byte for byte in both runs, and so must
 * the exit status.
 *
 * What cannot be made cooperative runs in the worker pool, and the OS thread counts the
 * programs report on stderr (REPORT_OS_THREADS=1) show where a call ran: natively every
 * program thread is an OS thread; under the shim the green threads share one, and a call
 * that ran in the pool leaves a worker thread behind (workers never exit), while a wait on
 * the hub (POSIX message queues) and a read the page cache served add none. For each call
 * that waits for another party (a lock, a message, a name server), the program's other
 * thread must run meanwhile: the call waits for what only that thread does. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under the shim the calls at the places named in wheres (NULL-terminated) ran in the pool:
 * a worker thread exists besides the scheduler's (natively there are several threads
 * anyway). */
static void expect_pool_used(const struct run_pair *pair, const char *prog,
                             const char *const *wheres)
{
    for (const char *const *where = wheres; *where; where++) {
        int native = reported_os_threads(&pair->native, *where);
        int shim = reported_os_threads(&pair->shim, *where);
        cr_expect_gt(native, 1, "%s natively at %s: %d OS threads, expected several", prog,
                     *where, native);
        cr_expect_geq(shim, 2, "%s under the shim at %s: %d OS threads, expected a worker too\n%s",
                      prog, *where, shim, pair->shim.err);
    }
}

/* ---- regular files ---- */

static const char files_rw_out[] =
    "write of the whole file: 12388\n"
    "pread 100 at 0: 100 (data right)\n"
    "pread 1000 at 388 before the end: 388 (data right)\n"
    "pread at the end: 0\n"
    "pread past the end: 0\n"
    "pread at a negative offset: -1 EINVAL\n"
    "pread of a directory: -1 EISDIR\n"
    "pread of a pipe: -1 ESPIPE\n"
    "pread of a closed fd: -1 EBADF\n"
    "pread64 4096 at 4096: 4096 (data right)\n"
    "__pread_chk 50 at 10: 50 (data right)\n"
    "preadv 3 buffers at 10: 8010 (data right)\n"
    "preadv64 3 buffers at 20 before the end: 20 (data right)\n"
    "preadv with no buffers: 0\n"
    "preadv with -1 buffers: -1 EINVAL\n"
    "preadv2 at the file position 100: 10 (data right)\n"
    "file position after it: 110\n"
    "preadv2 at 0 with RWF_NOWAIT (cached): 3010\n"
    "preadv2 with RWF_HIPRI: 3010\n"
    "preadv2 with an unknown flag: -1 EOPNOTSUPP\n"
    "preadv2 at -2: -1 EINVAL\n"
    "read 5000 at the file position: 5000 (data right)\n"
    "read 100 at 30 before the end: 30\n"
    "read at the end: 0\n"
    "file position: 12388\n"
    "pread of the whole file dropped from the page cache: 12388 (data right)\n"
    "pwrite 10 at 5000: 10\n"
    "pwrite64 10 past the end: 10\n"
    "size: 12488, file position unchanged: yes\n"
    "pwrite's bytes read back: yes\n"
    "pwritev 2 buffers at 0: 25\n"
    "pwritev64 2 buffers at 100: 25\n"
    "pwritev2 with RWF_DSYNC at 200: 25\n"
    "pwritev2 with RWF_SYNC at the file position: 25\n"
    "file position: 12413\n"
    "pwrite at a negative offset: -1 EINVAL\n"
    "pwrite to a directory: -1 EBADF\n"
    "pwrite to a pipe: -1 ESPIPE\n"
    "pwrite to a closed fd: -1 EBADF\n"
    "pwrite 10 at 0 on an O_APPEND fd: 10\n"
    "it went to the end (Linux ignores the offset): yes\n"
    "write 64 on an O_SYNC fd: 64\n"
    "pwrite 64 on an O_SYNC fd: 64\n"
    "writev on an O_DSYNC fd: 25\n"
    "write on an O_RDONLY fd: -1 EBADF\n"
    "pwrite on an O_RDONLY fd: -1 EBADF\n"
    "fsync: 0\n"
    "fdatasync: 0\n"
    "fsync of a pipe: -1 EINVAL\n"
    "fdatasync of a closed fd: -1 EBADF\n"
    "syncfs: 0\n"
    "syncfs of a closed fd: -1 EBADF\n"
    "sync: errno 0\n"
    "sync_file_range of all, waiting: 0\n"
    "sync_file_range with an unknown flag: -1 EINVAL\n"
    "sync_file_range of a pipe: -1 ESPIPE\n"
    "ftruncate to 20000: 0\n"
    "size: 20000\n"
    "ftruncate64 to 16000: 0\n"
    "size: 16000\n"
    "ftruncate to a negative size: -1 EINVAL\n"
    "ftruncate of an O_RDONLY fd: -1 EINVAL\n"
    "ftruncate of a closed fd: -1 EBADF\n"
    "fallocate 64 KiB: 0\n"
    "size: 65536\n"
    "fallocate with a negative length: -1 EINVAL\n"
    "fallocate of a pipe: -1 ESPIPE\n"
    "posix_fallocate 100000: 0, errno untouched: yes\n"
    "posix_fallocate with a negative length: EINVAL, errno untouched: yes\n"
    "size: 100000\n"
    "msync MS_SYNC: 0\n"
    "msync MS_ASYNC: 0\n"
    "msync MS_SYNC|MS_ASYNC: -1 EINVAL\n"
    "msync of an unaligned address: -1 EINVAL\n";

/* The default (auto): reads the page cache holds are served inline, what would wait for
 * the disk goes to the pool. */
Test(files, regular_file_calls_return_what_they_return_natively, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "files_rw", NULL, NULL, files_rw_out, 0);
    expect_os_threads(&pair, "files_rw", "cached-reads", 2);
    expect_pool_used(&pair, "files_rw", (const char *const[]){"evicted-read", NULL});
    run_pair_free(&pair);
}

/* GREENPATCH_FILE_IO=inline never uses the pool, =pool always does: the same answers. */
Test(files, file_io_inline_and_pool_give_the_same_answers, .timeout = 40)
{
    struct run_result inline_run, pool_run;
    run_under_shim_with(&inline_run, "files_rw", NULL, "GREENPATCH_FILE_IO=inline", NULL);
    cr_expect_str_eq(inline_run.out, files_rw_out, "inline: stderr:\n%s", inline_run.err);
    cr_expect_eq(inline_run.exit_code, 0);
    cr_expect_eq(reported_os_threads(&inline_run, "evicted-read"), 1,
                 "inline: a worker read the file\n%s", inline_run.err);
    run_under_shim_with(&pool_run, "files_rw", NULL, "GREENPATCH_FILE_IO=pool", NULL);
    cr_expect_str_eq(pool_run.out, files_rw_out, "pool: stderr:\n%s", pool_run.err);
    cr_expect_eq(pool_run.exit_code, 0);
    cr_expect_geq(reported_os_threads(&pool_run, "cached-reads"), 2,
                  "pool: the cached reads ran inline\n%s", pool_run.err);
    run_result_free(&inline_run);
    run_result_free(&pool_run);
}

/* A bad value is one line on stderr and exit status 2 before main (design rule 8). */
Test(files, bad_file_io_setting_stops_the_program)
{
    static const char *const bad[] = {"GREENPATCH_FILE_IO=fast", "GREENPATCH_FILE_IO=",
                                      "GREENPATCH_FILE_IO=Auto"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run_result r;
        run_under_shim_with(&r, "files_rw", NULL, bad[i], NULL);
        cr_expect_eq(r.exit_code, 2, "%s: exit %d", bad[i], r.exit_code);
        cr_expect_str_eq(r.out, "", "%s: main ran", bad[i]);
        cr_expect(strstr(r.err, "GREENPATCH_FILE_IO") &&
                      strchr(r.err, '\n') == r.err + r.err_len - 1,
                  "%s: stderr is not one line naming the setting:\n%s", bad[i], r.err);
        run_result_free(&r);
    }
}

/* ---- file locks ---- */

static const char files_lock_out[] =
    "flock: taken without waiting while a child holds it: EAGAIN\n"
    "flock: 0 once the child let go, after 3 ticks of the other thread\n"
    "flock: unlock: 0\n"
    "fcntl F_SETLKW: taken without waiting while a child holds it: EAGAIN\n"
    "fcntl F_GETLK: 0, held by the child: yes, as a write lock: yes\n"
    "fcntl F_SETLKW: 0 once the child let go, after 3 ticks of the other thread\n"
    "fcntl F_SETLKW: unlock: 0\n"
    "fcntl F_OFD_SETLKW: taken without waiting while a child holds it: EAGAIN\n"
    "fcntl F_OFD_SETLKW: 0 once the child let go, after 3 ticks of the other thread\n"
    "fcntl F_OFD_SETLKW: unlock: 0\n"
    "lockf F_LOCK: taken without waiting while a child holds it: EAGAIN\n"
    "lockf F_TEST: EACCES\n"
    "lockf F_LOCK: 0 once the child let go, after 3 ticks of the other thread\n"
    "lockf F_LOCK: unlock: 0\n"
    "flock LOCK_SH: 0\n"
    "flock LOCK_EX (a conversion): 0\n"
    "flock LOCK_UN: 0\n"
    "flock of a closed fd: EBADF\n"
    "flock with a bad operation: EINVAL\n"
    "flock LOCK_SH|LOCK_EX: EINVAL\n"
    "fcntl F_SETLKW read lock: 0\n"
    "fcntl F_SETLKW with a bad type: EINVAL\n"
    "fcntl F_OFD_SETLKW with l_pid set: EINVAL\n"
    "fcntl F_SETLKW on a closed fd: EBADF\n"
    "lockf F_LOCK with a negative length: EINVAL\n"
    "lockf F_LOCK of a closed fd: EBADF\n"
    "lockf with a bad command: EINVAL\n"
    "fcntl F_GETFL: O_RDWR: yes\n"
    "fcntl F_SETFL O_APPEND: 0\n"
    "and F_GETFL shows it: yes\n"
    "fcntl F_DUPFD_CLOEXEC from 100: yes, close-on-exec: yes\n"
    "fcntl F_GETFL of a closed fd: -1 EBADF\n"
    "fcntl with a bad command: -1 EINVAL\n"
    "fcntl F_SETLKW of a byte whose holder waits for ours: EDEADLK (the child was waiting: yes)\n"
    "and the child got our byte once we let go: yes\n";

Test(files, lock_waits_let_the_other_threads_run, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "files_lock", NULL, NULL, files_lock_out, 0);
    static const char *const waits[] = {"flock", "fcntl F_SETLKW", "fcntl F_OFD_SETLKW",
                                        "lockf F_LOCK", NULL};
    expect_pool_used(&pair, "files_lock", waits);
    run_pair_free(&pair);
}

/* ---- System V and POSIX IPC, terminals ---- */

static const char files_ipc_out[] =
    "mq_receive: 6\n"
    "mq_receive waited while the other thread ticked 3 times\n"
    "received \"hello\", priority 5\n"
    "mq_timedreceive: 6\n"
    "mq_timedreceive waited while the other thread ticked 3 times\n"
    "mq_timedreceive that times out: -1 ETIMEDOUT\n"
    "mq_timedreceive with a time long past: -1 ETIMEDOUT\n"
    "mq_timedreceive with a bad timeout: -1 EINVAL\n"
    "mq_timedreceive of a message with a bad timeout: -1 EINVAL\n"
    "mq_receive into a buffer smaller than the queue's messages: -1 EMSGSIZE\n"
    "mq_send: 0\n"
    "mq_send: 0\n"
    "mq_send to the full queue: 0\n"
    "mq_send to the full queue waited while the other thread ticked 3 times\n"
    "mq_timedsend to the full queue that times out: -1 ETIMEDOUT\n"
    "mq_timedsend to the full queue: 0\n"
    "mq_timedsend to the full queue waited while the other thread ticked 3 times\n"
    "mq_send of more than the queue's message size: -1 EMSGSIZE\n"
    "mq_send with a priority too high: -1 EINVAL\n"
    "mq_receive: 5 \"four\" priority 4\n"
    "mq_receive: 4 \"one\" priority 1\n"
    "mq_receive with O_NONBLOCK of an empty queue: -1 EAGAIN\n"
    "mq_receive of a closed queue: -1 EBADF\n"
    "mq_send to a closed queue: -1 EBADF\n"
    "mq_receive of a write-only queue: -1 EBADF\n"
    "msgrcv IPC_NOWAIT of an empty queue: -1 ENOMSG\n"
    "msgrcv: 6\n"
    "msgrcv waited while the other thread ticked 3 times\n"
    "received type 7 \"hello\"\n"
    "msgrcv of a 6-byte message into 2 bytes: -1 E2BIG\n"
    "the same with MSG_NOERROR: 2\n"
    "msgrcv of type 9 with IPC_NOWAIT: -1 ENOMSG\n"
    "msgsnd of 16 bytes: 0\n"
    "msgsnd IPC_NOWAIT to the full queue: -1 EAGAIN\n"
    "msgsnd to the full queue: 0\n"
    "msgsnd to the full queue waited while the other thread ticked 3 times\n"
    "msgsnd of type 0: -1 EINVAL\n"
    "msgsnd of more than a message may hold: -1 EINVAL\n"
    "msgrcv of a queue that is removed: -1 EIDRM\n"
    "msgrcv of a queue that is removed waited while the other thread ticked 3 times\n"
    "msgrcv of the removed queue: -1 EINVAL\n"
    "msgsnd to the removed queue: -1 EINVAL\n"
    "semop IPC_NOWAIT of a semaphore at 0: -1 EAGAIN\n"
    "semop: 0\n"
    "semop waited while the other thread ticked 3 times\n"
    "semop of two operations at once: 0\n"
    "semop of two operations at once waited while the other thread ticked 3 times\n"
    "values after: 1 0\n"
    "semtimedop: 0\n"
    "semtimedop waited while the other thread ticked 3 times\n"
    "semtimedop that times out: -1 EAGAIN\n"
    "semtimedop with a bad timeout: -1 EINVAL\n"
    "semop of no operations: -1 EINVAL\n"
    "semop of semaphore 5 of 2: -1 EFBIG\n"
    "semop of a bad set: -1 EINVAL\n"
    "semop of the removed set: -1 EINVAL\n"
    "tcdrain of a pseudo-terminal: 0\n"
    "tcdrain of a pipe: -1 ENOTTY\n"
    "tcdrain of a closed fd: -1 EBADF\n"
    "tcsendbreak of a pseudo-terminal: 0\n"
    "tcsendbreak of a pipe: -1 ENOTTY\n";

/* POSIX message queues wait on the hub (one OS thread), System V calls in the pool. */
Test(files, ipc_waits_let_the_other_threads_run, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "files_ipc", NULL, NULL, files_ipc_out, 0);
    static const char *const on_the_hub[] = {"mq_receive", "mq_timedreceive",
                                             "mq_send to the full queue",
                                             "mq_timedsend to the full queue"};
    for (size_t i = 0; i < sizeof on_the_hub / sizeof on_the_hub[0]; i++)
        expect_os_threads(&pair, "files_ipc", on_the_hub[i], 2);
    static const char *const in_the_pool[] = {"msgrcv", "msgsnd to the full queue",
                                              "msgrcv of a queue that is removed", "semop",
                                              "semop of two operations at once", "semtimedop",
                                              NULL};
    expect_pool_used(&pair, "files_ipc", in_the_pool);
    run_pair_free(&pair);
}

/* glibc's helper thread carries out a read of a pipe that the ticker writes to; the main
 * thread waits for it in aio_suspend (in the pool). */
Test(files, aio_suspend_lets_the_other_threads_run, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "files_aio", NULL, NULL,
                    "aio_suspend with a zero timeout, nothing done: EAGAIN\n"
                    "aio_suspend with a 20 ms timeout, nothing done: EAGAIN\n"
                    "aio_suspend: 0\n"
                    "aio_suspend waited while the other thread ticked 3 times\n"
                    "aio_error: 0, aio_return: 3, data \"abc\"\n"
                    "aio_suspend64 with a 20 ms timeout, nothing done: EAGAIN\n"
                    "aio_suspend64: 0\n"
                    "aio_suspend64 waited while the other thread ticked 3 times\n"
                    "aio_return: 3\n"
                    "aio_suspend of a request already returned: 0\n"
                    "aio_suspend of a list of NULL: 0\n",
                    0);
    run_pair_free(&pair);
}

/* Waits for another party neither count against GREENPATCH_POOL_SIZE nor wait in line:
 * four msgrcv waits and an fsync with a pool of one. */
Test(files, waits_do_not_starve_the_pool, .timeout = 40)
{
    struct run_result r;
    run_under_shim_with(&r, "files_waits", NULL, "GREENPATCH_POOL_SIZE=1", NULL);
    cr_expect_str_eq(r.out,
                     "fsync while 4 threads wait for messages: 0\n"
                     "every receiver got its message: yes\n",
                     "stderr:\n%s", r.err);
    cr_expect_eq(r.exit_code, 0, "exit %d, signal %d", r.exit_code, r.term_signal);
    cr_expect_geq(reported_os_threads(&r, "receivers-waiting"), 5,
                  "four waits, four workers beyond the pool's one\n%s", r.err);
    run_result_free(&r);
}

/* ---- name resolution ---- */

/* stdout without the lines that start with "detail:" (they depend on /etc/hosts). */
static char *without_details(const char *out)
{
    char *kept = calloc(1, strlen(out) + 1), *to = kept;
    for (const char *line = out; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        if (strncmp(line, "detail:", 7)) {
            memcpy(to, line, len);
            to += len;
        }
        line += len;
    }
    return kept;
}

static const char resolve_calls_out[] =
    "getaddrinfo(localhost, 80, family 2, socktype 1, flags 0): 0, 1 results: [inet 1 6 127.0.0.1 port 80]\n"
    "getaddrinfo(127.0.0.1, 8080, family 2, socktype 1, flags 0x404): 0, 1 results: [inet 1 6 127.0.0.1 port 8080]\n"
    "getaddrinfo(127.0.0.1, 8080, family 2, socktype 0, flags 0x4): 0, 3 results: [inet 1 6 127.0.0.1 port 8080] [inet 2 17 127.0.0.1 port 8080] [inet 3 0 127.0.0.1 port 8080]\n"
    "getaddrinfo(NULL, 5000, family 2, socktype 2, flags 0x1): 0, 1 results: [inet 2 17 0.0.0.0 port 5000]\n"
    "getaddrinfo(NULL, 5000, family 10, socktype 2, flags 0): 0, 1 results: [inet6 2 17 ::1 port 5000]\n"
    "getaddrinfo(fast.greenpatch.test, 53, family 2, socktype 2, flags 0): 0, 1 results: [inet 2 17 192.0.2.1 port 53]\n"
    "getaddrinfo(fast.greenpatch.test, 53, family 10, socktype 2, flags 0): 0, 1 results: [inet6 2 17 2001:db8::1 port 53]\n"
    "getaddrinfo(www.greenpatch.test, NULL, family 2, socktype 1, flags 0x2): 0, 1 results: [inet 1 6 192.0.2.1 port 0 canon fast.greenpatch.test]\n"
    "getaddrinfo(nonexistent.greenpatch.test, NULL, family 2, socktype 1, flags 0): EAI_NONAME\n"
    "getaddrinfo(fast.greenpatch.test, NULL, family 2, socktype 1, flags 0x4): EAI_NONAME\n"
    "getaddrinfo(127.0.0.1, no-such-service-here, family 2, socktype 1, flags 0): EAI_SERVICE\n"
    "getaddrinfo(NULL, NULL, family 2, socktype 1, flags 0): EAI_NONAME\n"
    "getaddrinfo(127.0.0.1, 80, family 2, socktype 1, flags 0x10000): EAI_BADFLAGS\n"
    "getaddrinfo(127.0.0.1, 80, family 12345, socktype 1, flags 0): EAI_FAMILY\n"
    "getnameinfo(192.0.2.1 port 53, flags 0xa): 0 host \"fast.greenpatch.test\" service \"53\"\n"
    "getnameinfo(127.0.0.1 port 80, flags 0x3): 0 host \"127.0.0.1\" service \"80\"\n"
    "getnameinfo(192.0.2.9 port 80, flags 0xa): EAI_NONAME host \"\" service \"\"\n"
    "getnameinfo(192.0.2.9 port 80, flags 0x2): 0 host \"192.0.2.9\" service \"80\"\n"
    "gethostbyname(fast.greenpatch.test): fast.greenpatch.test aliases [] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyname(www.greenpatch.test): fast.greenpatch.test aliases [www.greenpatch.test] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyname(192.0.2.77): 192.0.2.77 aliases [] inet length 4 addrs [192.0.2.77]\n"
    "gethostbyname(nonexistent.greenpatch.test): NULL, h_errno HOST_NOT_FOUND\n"
    "gethostbyname2(fast.greenpatch.test, inet6): fast.greenpatch.test aliases [] inet6 length 16 addrs [2001:db8::1]\n"
    "gethostbyname2(www.greenpatch.test, inet): fast.greenpatch.test aliases [www.greenpatch.test] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyaddr(192.0.2.1): fast.greenpatch.test aliases [] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyaddr(192.0.2.9): NULL, h_errno HOST_NOT_FOUND\n"
    "gethostbyname_r(www.greenpatch.test, buffer 4096): 0, result is ret: yes, : fast.greenpatch.test aliases [www.greenpatch.test] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyname_r(www.greenpatch.test, buffer 16): ERANGE, result is ret: no, : NULL, h_errno NETDB_INTERNAL\n"
    "gethostbyname_r(nonexistent.greenpatch.test, buffer 4096): 0, result is ret: no, : NULL, h_errno HOST_NOT_FOUND\n"
    "gethostbyname2_r(fast.greenpatch.test, buffer 4096): 0, result is ret: yes, : fast.greenpatch.test aliases [] inet6 length 16 addrs [2001:db8::1]\n"
    "gethostbyaddr_r(192.0.2.1): 0, : fast.greenpatch.test aliases [] inet length 4 addrs [192.0.2.1]\n"
    "gethostbyaddr_r(192.0.2.9): 0, : NULL, h_errno HOST_NOT_FOUND\n"
#define FAST_ANSWER "54 bytes: 85 80 00 01 00 01 00 00 00 00 04 66 61 73 74 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 00 01 00 01 c0 0c 00 01 00 01 00 00 00 3c 00 04 c0 00 02 01\n"
#define WWW_ANSWER "107 bytes: 85 80 00 01 00 02 00 00 00 00 03 77 77 77 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 00 01 00 01 c0 0c 00 05 00 01 00 00 00 3c 00 16 04 66 61 73 74 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 04 66 61 73 74 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 00 01 00 01 00 00 00 3c 00 04 c0 00 02 01\n"
#define NXDOMAIN_ANSWER "45 bytes: 85 83 00 01 00 00 00 00 00 00 0b 6e 6f 6e 65 78 69 73 74 65 6e 74 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 00 01 00 01\n"
#define SLOW_ANSWER "54 bytes: 85 80 00 01 00 01 00 00 00 00 04 73 6c 6f 77 0a 67 72 65 65 6e 70 61 74 63 68 04 74 65 73 74 00 00 01 00 01 c0 0c 00 01 00 01 00 00 00 3c 00 04 c0 00 02 02\n"
    "res_query(fast.greenpatch.test, A): " FAST_ANSWER
    "res_search(fast.greenpatch.test, A): " FAST_ANSWER
    "res_querydomain(fast, greenpatch.test, A): " FAST_ANSWER
    "res_send(query for fast.greenpatch.test): " FAST_ANSWER
    "res_query(www.greenpatch.test, A): " WWW_ANSWER
    "res_search(www.greenpatch.test, A): " WWW_ANSWER
    "res_querydomain(www, greenpatch.test, A): " WWW_ANSWER
    "res_send(query for www.greenpatch.test): " WWW_ANSWER
    "res_query(nonexistent.greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_search(nonexistent.greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_querydomain(nonexistent, greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_send(query for nonexistent.greenpatch.test): " NXDOMAIN_ANSWER
    "res_nquery(fast.greenpatch.test, A): " FAST_ANSWER
    "res_nsearch(fast.greenpatch.test, A): " FAST_ANSWER
    "res_nquerydomain(fast, greenpatch.test, A): " FAST_ANSWER
    "res_nsend(query for fast.greenpatch.test): " FAST_ANSWER
    "res_nquery(nonexistent.greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_nsearch(nonexistent.greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_nquerydomain(nonexistent, greenpatch.test, A): -1, h_errno HOST_NOT_FOUND\n"
    "res_nsend(query for nonexistent.greenpatch.test): " NXDOMAIN_ANSWER
    "__res_query@GLIBC_2.2.5(fast.greenpatch.test, A): " FAST_ANSWER
    "the first name of /etc/hosts resolves to its address there: yes\n"
    "slow getaddrinfo: 0, 1 results: [inet 1 6 192.0.2.2 port 0]\n"
    "getaddrinfo waited while the ticker ticked 3 times\n"
    "slow getnameinfo: 0 host \"slow.greenpatch.test\"\n"
    "getnameinfo waited while the ticker ticked 3 times\n"
    "slow gethostbyname: slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyname waited while the ticker ticked 3 times\n"
    "slow gethostbyname2: slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyname2 waited while the ticker ticked 3 times\n"
    "slow gethostbyaddr: slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyaddr waited while the ticker ticked 3 times\n"
    "slow gethostbyname_r: 0, : slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyname_r waited while the ticker ticked 3 times\n"
    "slow gethostbyname2_r: 0, : slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyname2_r waited while the ticker ticked 3 times\n"
    "slow gethostbyaddr_r: 0, : slow.greenpatch.test aliases [] inet length 4 addrs [192.0.2.2]\n"
    "gethostbyaddr_r waited while the ticker ticked 3 times\n"
    "slow res_query: " SLOW_ANSWER
    "res_query waited while the ticker ticked 3 times\n"
    "slow res_search: " SLOW_ANSWER
    "res_search waited while the ticker ticked 3 times\n"
    "slow res_querydomain: " SLOW_ANSWER
    "res_querydomain waited while the ticker ticked 3 times\n"
    "slow res_nquery: " SLOW_ANSWER
    "res_nquery waited while the ticker ticked 3 times\n"
    "slow res_nsearch: " SLOW_ANSWER
    "res_nsearch waited while the ticker ticked 3 times\n"
    "slow res_nquerydomain: " SLOW_ANSWER
    "res_nquerydomain waited while the ticker ticked 3 times\n"
    "slow answers sent: 14\n";

/* The names are the program's own DNS server's (no network); every lookup of the second
 * part waits for an answer that the server sends only after the ticker has ticked. Under
 * the shim the lookup runs on a worker while the server and the ticker run. */
Test(files, lookups_return_what_they_return_natively_and_let_the_others_run, .timeout = 40)
{
    static const char *const env[] = {"REPORT_OS_THREADS=1", NULL};
    struct run_pair pair;
    run_in_mode(&pair.native, RUN_NATIVE, "resolve_calls", NULL, env, NULL);
    run_in_mode(&pair.shim, RUN_SHIM, "resolve_calls", NULL, env, NULL);
    expect_finished(&pair.native, "resolve_calls", "natively");
    expect_finished(&pair.shim, "resolve_calls", "under the shim");
    cr_expect_eq(pair.native.exit_code, 0, "natively: exit %d\n%s", pair.native.exit_code,
                 pair.native.err);
    cr_expect_eq(pair.shim.exit_code, 0, "under the shim: exit %d\n%s", pair.shim.exit_code,
                 pair.shim.err);
    char *native = without_details(pair.native.out);
    cr_expect_str_eq(native, resolve_calls_out, "natively: stderr:\n%s", pair.native.err);
    free(native);
    cr_expect_str_eq(pair.shim.out, pair.native.out, "stdout under the shim differs\nstderr:\n%s",
                     pair.shim.err);
    static const char *const slow[] = {
        "getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname2", "gethostbyaddr",
        "gethostbyname_r", "gethostbyname2_r", "gethostbyaddr_r", "res_query", "res_search",
        "res_querydomain", "res_nquery", "res_nsearch", "res_nquerydomain", NULL};
    expect_pool_used(&pair, "resolve_calls", slow);
    run_pair_free(&pair);
}

/* Sixteen threads resolving at once, each through the name server its own _res names. */
Test(files, each_thread_resolves_with_its_own_resolver_state, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "resolve_threads", NULL, NULL,
                    "16 threads, 8 rounds of getaddrinfo, gethostbyname_r and gethostbyname "
                    "each, every answer from the thread's own name server: yes\n"
                    "every thread read back its own _res: yes\n",
                    0);
    expect_pool_used(&pair, "resolve_threads", (const char *const[]){"after-lookups", NULL});
    run_pair_free(&pair);
}

/* A numeric address and port need no lookup: glibc parses them, so under the shim they run
 * in place and no worker thread is started (client libraries resolve "127.0.0.1" on every
 * connect: a thousand hiredis threads filled the pool with workers that parsed it). */
Test(files, numeric_getaddrinfo_runs_in_place, .timeout = 40)
{
    struct run_pair pair;
    run_both_expect(&pair, "resolve_numeric", NULL, NULL,
                    "getaddrinfo(127.0.0.1, 6379, family 2, socktype 1, flags 0): 0, 1 results: "
                    "[inet 1 6 127.0.0.1 port 6379]\n"
                    "getaddrinfo(::1, 5432, family 10, socktype 1, flags 0x404): 0, 1 results: "
                    "[inet6 1 6 ::1 port 5432]\n"
                    "getaddrinfo(127.0.0.1, NULL, family 0, socktype 0, flags 0): 0, 3 results: "
                    "[inet 1 6 127.0.0.1 port 0] [inet 2 17 127.0.0.1 port 0] "
                    "[inet 3 0 127.0.0.1 port 0]\n"
                    "getaddrinfo(NULL, 8080, family 2, socktype 1, flags 0x1): 0, 1 results: "
                    "[inet 1 6 0.0.0.0 port 8080]\n"
                    "getaddrinfo(127.0.0.1, 80, family 2, socktype 1, flags 0x20): 0, 1 results: "
                    "[inet 1 6 127.0.0.1 port 80]\n"
                    "getaddrinfo(::ffff:127.0.0.1, 0, family 10, socktype 2, flags 0): 0, 1 "
                    "results: [inet6 2 17 ::ffff:127.0.0.1 port 0]\n"
                    "8 threads made the same lookups and got the same answers: yes\n",
                    0);
    /* Natively main and the eight threads, which wait until main has counted. */
    expect_os_threads(&pair, "resolve_numeric", "lookups-done", 9);
    run_pair_free(&pair);
}
