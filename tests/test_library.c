/* The library as a file: what it exports and what it depends on. Only the interposed libc
 * names (under the glibc symbol versions programs bind to) and the public gp_* API are
 * exported; libev is loaded privately at run time and boost.context is linked in, so the
 * only dependency is libc (and the sanitizer runtimes in the ASan build). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* name@version for every exported symbol; a name with two versions appears twice. */
static const char *const expected_exports[] = {
    "_IO_popen@GLIBC_2.2.5",
    "__cxa_thread_atexit_impl@GLIBC_2.18",
    "__dprintf_chk@GLIBC_2.8",
    "__fcntl@GLIBC_2.2.5",
    "__fgets_chk@GLIBC_2.4",
    "__fgets_unlocked_chk@GLIBC_2.4",
    "__fprintf_chk@GLIBC_2.3.4",
    "__fread_chk@GLIBC_2.7",
    "__fread_unlocked_chk@GLIBC_2.7",
    "__getdelim@GLIBC_2.2.5",
    "__isoc99_fscanf@GLIBC_2.7",
    "__isoc99_scanf@GLIBC_2.7",
    "__isoc99_vfscanf@GLIBC_2.7",
    "__isoc99_vscanf@GLIBC_2.7",
    "__longjmp_chk@GLIBC_2.11",
    "__open64@GLIBC_2.2.5",
    "__open64_2@GLIBC_2.7",
    "__open@GLIBC_2.2.5",
    "__open_2@GLIBC_2.7",
    "__openat64_2@GLIBC_2.7",
    "__openat_2@GLIBC_2.7",
    "__overflow@GLIBC_2.2.5",
    "__poll@GLIBC_2.2.5",
    "__poll_chk@GLIBC_2.16",
    "__ppoll_chk@GLIBC_2.16",
    "__pread64_chk@GLIBC_2.4",
    "__pread_chk@GLIBC_2.4",
    "__printf_chk@GLIBC_2.3.4",
    "__pthread_key_create@GLIBC_2.2.5",
    "__pthread_key_create@GLIBC_2.34",
    "__pthread_register_cancel@GLIBC_2.3.3",
    "__pthread_register_cancel@GLIBC_2.34",
    "__pthread_register_cancel_defer@GLIBC_2.3.3",
    "__pthread_register_cancel_defer@GLIBC_2.34",
    "__pthread_unregister_cancel@GLIBC_2.3.3",
    "__pthread_unregister_cancel@GLIBC_2.34",
    "__pthread_unregister_cancel_restore@GLIBC_2.3.3",
    "__pthread_unregister_cancel_restore@GLIBC_2.34",
    "__pthread_unwind_next@GLIBC_2.3.3",
    "__pthread_unwind_next@GLIBC_2.34",
    "__read_chk@GLIBC_2.4",
    "__recv_chk@GLIBC_2.4",
    "__recvfrom_chk@GLIBC_2.4",
    "__res_nquery@GLIBC_2.2.5",
    "__res_nquerydomain@GLIBC_2.2.5",
    "__res_nsearch@GLIBC_2.2.5",
    "__res_nsend@GLIBC_2.2.5",
    "__res_query@GLIBC_2.2.5",
    "__res_querydomain@GLIBC_2.2.5",
    "__res_search@GLIBC_2.2.5",
    "__res_send@GLIBC_2.2.5",
    "__select@GLIBC_2.2.5",
    "__sigpause@GLIBC_2.2.5",
    "__sysv_signal@GLIBC_2.2.5",
    "__uflow@GLIBC_2.2.5",
    "__uselocale@GLIBC_2.3",
    "__vdprintf_chk@GLIBC_2.8",
    "__vfork@GLIBC_2.2.5",
    "__vfprintf_chk@GLIBC_2.3.4",
    "__vprintf_chk@GLIBC_2.3.4",
    "__wait@GLIBC_2.2.5",
    "__waitpid@GLIBC_2.2.5",
    "__xpg_sigpause@GLIBC_2.2.5",
    "_longjmp@GLIBC_2.2.5",
    "_pthread_cleanup_pop@GLIBC_2.2.5",
    "_pthread_cleanup_pop@GLIBC_2.34",
    "_pthread_cleanup_push@GLIBC_2.2.5",
    "_pthread_cleanup_push@GLIBC_2.34",
    "accept4@GLIBC_2.10",
    "accept@GLIBC_2.2.5",
    "aio_suspend64@GLIBC_2.2.5",
    "aio_suspend64@GLIBC_2.34",
    "aio_suspend@GLIBC_2.2.5",
    "aio_suspend@GLIBC_2.34",
    "bsd_signal@GLIBC_2.2.5",
    "call_once@GLIBC_2.28",
    "call_once@GLIBC_2.34",
    "clock_nanosleep@GLIBC_2.17",
    "clock_nanosleep@GLIBC_2.2.5",
    "close@GLIBC_2.2.5",
    "cnd_broadcast@GLIBC_2.28",
    "cnd_broadcast@GLIBC_2.34",
    "cnd_signal@GLIBC_2.28",
    "cnd_signal@GLIBC_2.34",
    "cnd_timedwait@GLIBC_2.28",
    "cnd_timedwait@GLIBC_2.34",
    "cnd_wait@GLIBC_2.28",
    "cnd_wait@GLIBC_2.34",
    "connect@GLIBC_2.2.5",
    "creat64@GLIBC_2.2.5",
    "creat@GLIBC_2.2.5",
    "dlclose@GLIBC_2.2.5",
    "dlclose@GLIBC_2.34",
    "dlmopen@GLIBC_2.3.4",
    "dlmopen@GLIBC_2.34",
    "dlopen@GLIBC_2.2.5",
    "dlopen@GLIBC_2.34",
    "dprintf@GLIBC_2.2.5",
    "epoll_pwait2@GLIBC_2.35",
    "epoll_pwait@GLIBC_2.6",
    "epoll_wait@GLIBC_2.3.2",
    "eventfd_read@GLIBC_2.7",
    "eventfd_write@GLIBC_2.7",
    "fallocate64@GLIBC_2.10",
    "fallocate@GLIBC_2.10",
    "fclose@GLIBC_2.2.5",
    "fcntl64@GLIBC_2.28",
    "fcntl@GLIBC_2.2.5",
    "fdatasync@GLIBC_2.2.5",
    "fflush@GLIBC_2.2.5",
    "fflush_unlocked@GLIBC_2.2.5",
    "fgetc@GLIBC_2.2.5",
    "fgetc_unlocked@GLIBC_2.2.5",
    "fgets@GLIBC_2.2.5",
    "fgets_unlocked@GLIBC_2.2.5",
    "flock@GLIBC_2.2.5",
    "flockfile@GLIBC_2.2.5",
    "fprintf@GLIBC_2.2.5",
    "fputc@GLIBC_2.2.5",
    "fputc_unlocked@GLIBC_2.2.5",
    "fputs@GLIBC_2.2.5",
    "fputs_unlocked@GLIBC_2.2.5",
    "fread@GLIBC_2.2.5",
    "fread_unlocked@GLIBC_2.2.5",
    "fscanf@GLIBC_2.2.5",
    "fsync@GLIBC_2.2.5",
    "ftruncate64@GLIBC_2.2.5",
    "ftruncate@GLIBC_2.2.5",
    "ftrylockfile@GLIBC_2.2.5",
    "funlockfile@GLIBC_2.2.5",
    "fwrite@GLIBC_2.2.5",
    "fwrite_unlocked@GLIBC_2.2.5",
    "getaddrinfo@GLIBC_2.2.5",
    "getc@GLIBC_2.2.5",
    "getc_unlocked@GLIBC_2.2.5",
    "getchar@GLIBC_2.2.5",
    "getchar_unlocked@GLIBC_2.2.5",
    "getdelim@GLIBC_2.2.5",
    "gethostbyaddr@GLIBC_2.2.5",
    "gethostbyaddr_r@GLIBC_2.2.5",
    "gethostbyname2@GLIBC_2.2.5",
    "gethostbyname2_r@GLIBC_2.2.5",
    "gethostbyname@GLIBC_2.2.5",
    "gethostbyname_r@GLIBC_2.2.5",
    "getline@GLIBC_2.2.5",
    "getnameinfo@GLIBC_2.2.5",
    "getw@GLIBC_2.2.5",
    "gp_event_create@GREENPATCH_0",
    "gp_event_destroy@GREENPATCH_0",
    "gp_event_ready@GREENPATCH_0",
    "gp_event_reset@GREENPATCH_0",
    "gp_event_send@GREENPATCH_0",
    "gp_event_wait@GREENPATCH_0",
    "gp_join@GREENPATCH_0",
    "gp_offload@GREENPATCH_0",
    "gp_queue_close@GREENPATCH_0",
    "gp_queue_create@GREENPATCH_0",
    "gp_queue_destroy@GREENPATCH_0",
    "gp_queue_get@GREENPATCH_0",
    "gp_queue_len@GREENPATCH_0",
    "gp_queue_put@GREENPATCH_0",
    "gp_self@GREENPATCH_0",
    "gp_sem_acquire@GREENPATCH_0",
    "gp_sem_create@GREENPATCH_0",
    "gp_sem_destroy@GREENPATCH_0",
    "gp_sem_release@GREENPATCH_0",
    "gp_sem_value@GREENPATCH_0",
    "gp_sleep@GREENPATCH_0",
    "gp_spawn@GREENPATCH_0",
    "gp_timeout_left@GREENPATCH_0",
    "gp_timeout_pop@GREENPATCH_0",
    "gp_timeout_push@GREENPATCH_0",
    "gp_timeout_scope_end@GREENPATCH_0",
    "gp_yield@GREENPATCH_0",
    "lio_listio@GLIBC_2.34",
    "lio_listio@GLIBC_2.4",
    "lockf64@GLIBC_2.2.5",
    "lockf@GLIBC_2.2.5",
    "longjmp@GLIBC_2.2.5",
    "mq_receive@GLIBC_2.3.4",
    "mq_receive@GLIBC_2.34",
    "mq_send@GLIBC_2.3.4",
    "mq_send@GLIBC_2.34",
    "mq_timedreceive@GLIBC_2.3.4",
    "mq_timedreceive@GLIBC_2.34",
    "mq_timedsend@GLIBC_2.3.4",
    "mq_timedsend@GLIBC_2.34",
    "msgrcv@GLIBC_2.2.5",
    "msgsnd@GLIBC_2.2.5",
    "msync@GLIBC_2.2.5",
    "mtx_lock@GLIBC_2.28",
    "mtx_lock@GLIBC_2.34",
    "mtx_timedlock@GLIBC_2.28",
    "mtx_timedlock@GLIBC_2.34",
    "mtx_trylock@GLIBC_2.28",
    "mtx_trylock@GLIBC_2.34",
    "mtx_unlock@GLIBC_2.28",
    "mtx_unlock@GLIBC_2.34",
    "nanosleep@GLIBC_2.2.5",
    "open64@GLIBC_2.2.5",
    "open@GLIBC_2.2.5",
    "openat64@GLIBC_2.4",
    "openat@GLIBC_2.4",
    "pause@GLIBC_2.2.5",
    "pclose@GLIBC_2.2.5",
    "poll@GLIBC_2.2.5",
    "popen@GLIBC_2.2.5",
    "posix_fallocate64@GLIBC_2.2.5",
    "posix_fallocate@GLIBC_2.2.5",
    "ppoll@GLIBC_2.4",
    "pread64@GLIBC_2.2.5",
    "pread@GLIBC_2.2.5",
    "preadv2@GLIBC_2.26",
    "preadv64@GLIBC_2.10",
    "preadv64v2@GLIBC_2.26",
    "preadv@GLIBC_2.10",
    "printf@GLIBC_2.2.5",
    "pselect@GLIBC_2.2.5",
    "pthread_barrier_destroy@GLIBC_2.2.5",
    "pthread_barrier_destroy@GLIBC_2.34",
    "pthread_barrier_wait@GLIBC_2.2.5",
    "pthread_barrier_wait@GLIBC_2.34",
    "pthread_cancel@GLIBC_2.2.5",
    "pthread_cancel@GLIBC_2.34",
    "pthread_clockjoin_np@GLIBC_2.31",
    "pthread_clockjoin_np@GLIBC_2.34",
    "pthread_cond_broadcast@GLIBC_2.3.2",
    "pthread_cond_clockwait@GLIBC_2.30",
    "pthread_cond_clockwait@GLIBC_2.34",
    "pthread_cond_signal@GLIBC_2.3.2",
    "pthread_cond_timedwait@GLIBC_2.3.2",
    "pthread_cond_wait@GLIBC_2.3.2",
    "pthread_create@GLIBC_2.2.5",
    "pthread_create@GLIBC_2.34",
    "pthread_detach@GLIBC_2.2.5",
    "pthread_detach@GLIBC_2.34",
    "pthread_exit@GLIBC_2.2.5",
    "pthread_getaffinity_np@GLIBC_2.3.4",
    "pthread_getaffinity_np@GLIBC_2.32",
    "pthread_getattr_np@GLIBC_2.2.5",
    "pthread_getattr_np@GLIBC_2.32",
    "pthread_getcpuclockid@GLIBC_2.2.5",
    "pthread_getcpuclockid@GLIBC_2.34",
    "pthread_getname_np@GLIBC_2.12",
    "pthread_getname_np@GLIBC_2.34",
    "pthread_getschedparam@GLIBC_2.2.5",
    "pthread_getspecific@GLIBC_2.2.5",
    "pthread_getspecific@GLIBC_2.34",
    "pthread_join@GLIBC_2.2.5",
    "pthread_join@GLIBC_2.34",
    "pthread_key_create@GLIBC_2.2.5",
    "pthread_key_create@GLIBC_2.34",
    "pthread_key_delete@GLIBC_2.2.5",
    "pthread_key_delete@GLIBC_2.34",
    "pthread_kill@GLIBC_2.2.5",
    "pthread_kill@GLIBC_2.34",
    "pthread_mutex_clocklock@GLIBC_2.30",
    "pthread_mutex_clocklock@GLIBC_2.34",
    "pthread_mutex_lock@GLIBC_2.2.5",
    "pthread_mutex_timedlock@GLIBC_2.2.5",
    "pthread_mutex_timedlock@GLIBC_2.34",
    "pthread_mutex_trylock@GLIBC_2.2.5",
    "pthread_mutex_trylock@GLIBC_2.34",
    "pthread_mutex_unlock@GLIBC_2.2.5",
    "pthread_once@GLIBC_2.2.5",
    "pthread_once@GLIBC_2.34",
    "pthread_rwlock_clockrdlock@GLIBC_2.30",
    "pthread_rwlock_clockrdlock@GLIBC_2.34",
    "pthread_rwlock_clockwrlock@GLIBC_2.30",
    "pthread_rwlock_clockwrlock@GLIBC_2.34",
    "pthread_rwlock_rdlock@GLIBC_2.2.5",
    "pthread_rwlock_rdlock@GLIBC_2.34",
    "pthread_rwlock_timedrdlock@GLIBC_2.2.5",
    "pthread_rwlock_timedrdlock@GLIBC_2.34",
    "pthread_rwlock_timedwrlock@GLIBC_2.2.5",
    "pthread_rwlock_timedwrlock@GLIBC_2.34",
    "pthread_rwlock_tryrdlock@GLIBC_2.2.5",
    "pthread_rwlock_tryrdlock@GLIBC_2.34",
    "pthread_rwlock_trywrlock@GLIBC_2.2.5",
    "pthread_rwlock_trywrlock@GLIBC_2.34",
    "pthread_rwlock_unlock@GLIBC_2.2.5",
    "pthread_rwlock_unlock@GLIBC_2.34",
    "pthread_rwlock_wrlock@GLIBC_2.2.5",
    "pthread_rwlock_wrlock@GLIBC_2.34",
    "pthread_self@GLIBC_2.2.5",
    "pthread_setaffinity_np@GLIBC_2.3.4",
    "pthread_setaffinity_np@GLIBC_2.34",
    "pthread_setcancelstate@GLIBC_2.2.5",
    "pthread_setcanceltype@GLIBC_2.2.5",
    "pthread_setname_np@GLIBC_2.12",
    "pthread_setname_np@GLIBC_2.34",
    "pthread_setschedparam@GLIBC_2.2.5",
    "pthread_setschedprio@GLIBC_2.3.4",
    "pthread_setschedprio@GLIBC_2.34",
    "pthread_setspecific@GLIBC_2.2.5",
    "pthread_setspecific@GLIBC_2.34",
    "pthread_sigmask@GLIBC_2.2.5",
    "pthread_sigmask@GLIBC_2.32",
    "pthread_sigqueue@GLIBC_2.11",
    "pthread_sigqueue@GLIBC_2.34",
    "pthread_spin_lock@GLIBC_2.2.5",
    "pthread_spin_lock@GLIBC_2.34",
    "pthread_spin_trylock@GLIBC_2.2.5",
    "pthread_spin_trylock@GLIBC_2.34",
    "pthread_testcancel@GLIBC_2.2.5",
    "pthread_testcancel@GLIBC_2.34",
    "pthread_timedjoin_np@GLIBC_2.3.3",
    "pthread_timedjoin_np@GLIBC_2.34",
    "pthread_tryjoin_np@GLIBC_2.3.3",
    "pthread_tryjoin_np@GLIBC_2.34",
    "putc@GLIBC_2.2.5",
    "putc_unlocked@GLIBC_2.2.5",
    "putchar@GLIBC_2.2.5",
    "putchar_unlocked@GLIBC_2.2.5",
    "puts@GLIBC_2.2.5",
    "putw@GLIBC_2.2.5",
    "pwrite64@GLIBC_2.2.5",
    "pwrite@GLIBC_2.2.5",
    "pwritev2@GLIBC_2.26",
    "pwritev64@GLIBC_2.10",
    "pwritev64v2@GLIBC_2.26",
    "pwritev@GLIBC_2.10",
    "read@GLIBC_2.2.5",
    "readv@GLIBC_2.2.5",
    "recv@GLIBC_2.2.5",
    "recvfrom@GLIBC_2.2.5",
    "recvmmsg@GLIBC_2.12",
    "recvmsg@GLIBC_2.2.5",
    "res_nquery@GLIBC_2.34",
    "res_nquerydomain@GLIBC_2.34",
    "res_nsearch@GLIBC_2.34",
    "res_nsend@GLIBC_2.34",
    "res_query@GLIBC_2.34",
    "res_querydomain@GLIBC_2.34",
    "res_search@GLIBC_2.34",
    "res_send@GLIBC_2.34",
    "scanf@GLIBC_2.2.5",
    "sched_yield@GLIBC_2.2.5",
    "select@GLIBC_2.2.5",
    "sem_clockwait@GLIBC_2.30",
    "sem_clockwait@GLIBC_2.34",
    "sem_post@GLIBC_2.2.5",
    "sem_post@GLIBC_2.34",
    "sem_timedwait@GLIBC_2.2.5",
    "sem_timedwait@GLIBC_2.34",
    "sem_trywait@GLIBC_2.2.5",
    "sem_trywait@GLIBC_2.34",
    "sem_wait@GLIBC_2.2.5",
    "sem_wait@GLIBC_2.34",
    "semop@GLIBC_2.2.5",
    "semtimedop@GLIBC_2.3.3",
    "send@GLIBC_2.2.5",
    "sendfile64@GLIBC_2.3",
    "sendfile@GLIBC_2.2.5",
    "sendmmsg@GLIBC_2.14",
    "sendmsg@GLIBC_2.2.5",
    "sendto@GLIBC_2.2.5",
    "sigaction@GLIBC_2.2.5",
    "sigblock@GLIBC_2.2.5",
    "siggetmask@GLIBC_2.2.5",
    "sighold@GLIBC_2.2.5",
    "sigignore@GLIBC_2.2.5",
    "siglongjmp@GLIBC_2.2.5",
    "signal@GLIBC_2.2.5",
    "sigpause@GLIBC_2.2.5",
    "sigpending@GLIBC_2.2.5",
    "sigprocmask@GLIBC_2.2.5",
    "sigrelse@GLIBC_2.2.5",
    "sigset@GLIBC_2.2.5",
    "sigsetmask@GLIBC_2.2.5",
    "sigsuspend@GLIBC_2.2.5",
    "sigtimedwait@GLIBC_2.2.5",
    "sigwait@GLIBC_2.2.5",
    "sigwaitinfo@GLIBC_2.2.5",
    "sleep@GLIBC_2.2.5",
    "splice@GLIBC_2.5",
    "sync@GLIBC_2.2.5",
    "sync_file_range@GLIBC_2.6",
    "syncfs@GLIBC_2.14",
    "syscall@GLIBC_2.2.5",
    "system@GLIBC_2.2.5",
    "sysv_signal@GLIBC_2.2.5",
    "tcdrain@GLIBC_2.2.5",
    "tcsendbreak@GLIBC_2.2.5",
    "tee@GLIBC_2.5",
    "thrd_create@GLIBC_2.28",
    "thrd_create@GLIBC_2.34",
    "thrd_current@GLIBC_2.28",
    "thrd_detach@GLIBC_2.28",
    "thrd_detach@GLIBC_2.34",
    "thrd_exit@GLIBC_2.28",
    "thrd_exit@GLIBC_2.34",
    "thrd_join@GLIBC_2.28",
    "thrd_join@GLIBC_2.34",
    "thrd_sleep@GLIBC_2.28",
    "thrd_yield@GLIBC_2.28",
    "tss_create@GLIBC_2.28",
    "tss_create@GLIBC_2.34",
    "tss_delete@GLIBC_2.28",
    "tss_delete@GLIBC_2.34",
    "tss_get@GLIBC_2.28",
    "tss_get@GLIBC_2.34",
    "tss_set@GLIBC_2.28",
    "tss_set@GLIBC_2.34",
    "uselocale@GLIBC_2.3",
    "usleep@GLIBC_2.2.5",
    "vdprintf@GLIBC_2.2.5",
    "vfork@GLIBC_2.2.5",
    "vfprintf@GLIBC_2.2.5",
    "vfscanf@GLIBC_2.2.5",
    "vmsplice@GLIBC_2.5",
    "vprintf@GLIBC_2.2.5",
    "vscanf@GLIBC_2.2.5",
    "wait3@GLIBC_2.2.5",
    "wait4@GLIBC_2.2.5",
    "wait@GLIBC_2.2.5",
    "waitid@GLIBC_2.2.5",
    "waitpid@GLIBC_2.2.5",
    "wordexp@GLIBC_2.2.5",
    "write@GLIBC_2.2.5",
    "writev@GLIBC_2.2.5",
};

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The defined dynamic symbols of the library as sorted "name@version" lines. */
static size_t exported_symbols(char ***out)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-T", shim_library_path(), NULL};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/objdump", args);
    cr_assert_eq(r.exit_code, 0, "objdump -T failed: %s", r.err);
    size_t n = 0, cap = 128;
    char **syms = malloc(cap * sizeof *syms);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        char version[64], name[256];
        /* "ADDR g DF .text SIZE (VERSION) NAME" or "... VERSION NAME". Undefined ones say
         * *UND*; the version definitions themselves are *ABS*. */
        if (strstr(line, "*UND*") || strstr(line, "*ABS*") ||
            (!strstr(line, " DF ") && !strstr(line, " DO ")))
            continue;
        const char *last = strrchr(line, ' ');
        if (!last || sscanf(last + 1, "%255s", name) != 1)
            continue;
        const char *v = last;
        while (v > line && v[-1] == ' ')
            v--;
        while (v > line && v[-1] != ' ')
            v--;
        if (sscanf(v, "%63s", version) != 1)
            continue;
        char *plain = version;
        if (plain[0] == '(') {
            plain++;
            plain[strcspn(plain, ")")] = 0;
        }
        if (n == cap)
            syms = realloc(syms, (cap *= 2) * sizeof *syms);
        syms[n] = malloc(strlen(name) + strlen(plain) + 2);
        sprintf(syms[n++], "%s@%s", name, plain);
    }
    run_result_free(&r);
    qsort(syms, n, sizeof *syms, compare_strings);
    *out = syms;
    return n;
}

Test(library, exports_exactly_the_interposed_names_and_the_api)
{
    char **syms;
    size_t n = exported_symbols(&syms);
    size_t want = sizeof expected_exports / sizeof expected_exports[0];
    const char **expected = malloc(sizeof expected_exports);
    memcpy(expected, expected_exports, sizeof expected_exports);
    qsort(expected, want, sizeof *expected, compare_strings);
    for (size_t i = 0, j = 0; i < n || j < want;) {
        int c = i == n ? 1 : j == want ? -1 : strcmp(syms[i], expected[j]);
        cr_expect(c >= 0, "exported but not expected: %s", syms[i]);
        cr_expect(c <= 0, "expected but not exported: %s", expected[j]);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    for (size_t i = 0; i < n; i++)
        free(syms[i]);
    free(syms);
    free(expected);
}

Test(library, depends_on_libc_only)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-d", shim_library_path(), NULL};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/readelf", args);
    cr_assert_eq(r.exit_code, 0, "readelf -d failed: %s", r.err);
    int needed = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "(NEEDED)"))
            continue;
        if (sanitized_build() && (strstr(line, "[libasan.so") || strstr(line, "[libubsan.so")))
            continue;
        needed++;
        cr_expect(strstr(line, "[libc.so.6]"), "unexpected dependency: %s", line);
    }
    cr_expect_eq(needed, 1, "%d NEEDED entries", needed);
    run_result_free(&r);
}
