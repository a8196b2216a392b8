/* The real libc functions behind every interposed name, each resolved with dlsym(RTLD_NEXT)
 * at its first call (real.c). The runtime calls libc only through this table (or through
 * names the shim does not interpose), so that its own calls never re-enter the shim. */
#ifndef GP_REAL_H
#define GP_REAL_H

#include <aio.h>
#include <dlfcn.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <mqueue.h>
#include <netdb.h>
#include <resolv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/sem.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <wordexp.h>

/* One list per area, so that each area adds its names in one place. */
/* thread life cycle, identity, cancellation, keys */
#define GP_REAL_THREADS(X)                                                                    \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))  \
    X(int, pthread_join, (pthread_t, void **))                                                \
    X(int, pthread_tryjoin_np, (pthread_t, void **))                                          \
    X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))               \
    X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *))    \
    X(int, pthread_detach, (pthread_t))                                                       \
    X(void, pthread_exit, (void *))                                                           \
    X(pthread_t, pthread_self, (void))                                                        \
    X(int, pthread_equal, (pthread_t, pthread_t))                                             \
    X(int, pthread_cancel, (pthread_t))                                                       \
    X(void, pthread_testcancel, (void))                                                       \
    X(int, pthread_setcancelstate, (int, int *))                                              \
    X(int, pthread_setcanceltype, (int, int *))                                               \
    X(void, __pthread_register_cancel, (__pthread_unwind_buf_t *))                            \
    X(void, __pthread_unregister_cancel, (__pthread_unwind_buf_t *))                          \
    X(void, __pthread_register_cancel_defer, (__pthread_unwind_buf_t *))                      \
    X(void, __pthread_unregister_cancel_restore, (__pthread_unwind_buf_t *))                  \
    X(void, __pthread_unwind_next, (__pthread_unwind_buf_t *))                                \
    X(void, _pthread_cleanup_push, (struct _pthread_cleanup_buffer *, void (*)(void *), void *))\
    X(void, _pthread_cleanup_pop, (struct _pthread_cleanup_buffer *, int))                    \
    X(int, pthread_key_create, (pthread_key_t *, void (*)(void *)))                           \
    X(int, pthread_key_delete, (pthread_key_t))                                               \
    X(void *, pthread_getspecific, (pthread_key_t))                                           \
    X(int, pthread_setspecific, (pthread_key_t, const void *))                                \
    X(int, pthread_setname_np, (pthread_t, const char *))                                     \
    X(int, pthread_getname_np, (pthread_t, char *, size_t))                                   \
    X(int, pthread_getattr_np, (pthread_t, pthread_attr_t *))                                 \
    X(int, pthread_getcpuclockid, (pthread_t, clockid_t *))                                   \
    X(int, pthread_setschedparam, (pthread_t, int, const struct sched_param *))               \
    X(int, pthread_getschedparam, (pthread_t, int *, struct sched_param *))                   \
    X(int, pthread_setschedprio, (pthread_t, int))                                            \
    X(int, pthread_getaffinity_np, (pthread_t, size_t, cpu_set_t *))                          \
    X(int, pthread_setaffinity_np, (pthread_t, size_t, const cpu_set_t *))

/* mutexes, condition variables, rwlocks, semaphores, barriers, once, spinlocks */
#define GP_REAL_SYNC(X)                                                                       \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                           \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                        \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))             \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))  \
    X(int, pthread_mutex_unlock, (pthread_mutex_t *))                                         \
    X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))                          \
    X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))\
    X(int, pthread_cond_clockwait,                                                            \
      (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))              \
    X(int, pthread_cond_signal, (pthread_cond_t *))                                           \
    X(int, pthread_cond_broadcast, (pthread_cond_t *))                                        \
    X(int, sem_wait, (sem_t *))                                                               \
    X(int, sem_trywait, (sem_t *))                                                            \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                 \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                      \
    X(int, sem_post, (sem_t *))                                                               \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                       \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                       \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                    \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                    \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))         \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))         \
    X(int, pthread_rwlock_clockrdlock,                                                        \
      (pthread_rwlock_t *, clockid_t, const struct timespec *))                               \
    X(int, pthread_rwlock_clockwrlock,                                                        \
      (pthread_rwlock_t *, clockid_t, const struct timespec *))                               \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                       \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                       \
    X(int, pthread_barrier_destroy, (pthread_barrier_t *))                                    \
    X(int, pthread_once, (pthread_once_t *, void (*)(void)))                                  \
    X(int, pthread_spin_lock, (pthread_spinlock_t *))                                         \
    X(int, pthread_spin_trylock, (pthread_spinlock_t *))                                      \
    X(int, sched_yield, (void))

/* thread-local storage (tls.h) */
#define GP_REAL_TLS(X)                                                                        \
    X(locale_t, uselocale, (locale_t))                                                        \
    X(int, __cxa_thread_atexit_impl, (void (*)(void *), void *, void *))                      \
    X(void *, dlopen, (const char *, int))                                                    \
    X(void *, dlmopen, (Lmid_t, const char *, int))                                           \
    X(int, dlclose, (void *))

/* sleeps */
#define GP_REAL_SLEEP(X)                                                                      \
    X(unsigned, sleep, (unsigned))                                                            \
    X(int, usleep, (useconds_t))                                                              \
    X(int, nanosleep, (const struct timespec *, struct timespec *))                           \
    X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))

/* reads, writes and connections on sockets, pipes and devices */
#define GP_REAL_IO(X)                                                                         \
    X(ssize_t, read, (int, void *, size_t))                                                   \
    X(ssize_t, write, (int, const void *, size_t))                                            \
    X(ssize_t, readv, (int, const struct iovec *, int))                                       \
    X(ssize_t, writev, (int, const struct iovec *, int))                                      \
    X(ssize_t, recv, (int, void *, size_t, int))                                              \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))          \
    X(ssize_t, recvmsg, (int, struct msghdr *, int))                                          \
    X(ssize_t, send, (int, const void *, size_t, int))                                        \
    X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))  \
    X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                    \
    X(int, connect, (int, const struct sockaddr *, socklen_t))                                \
    X(int, accept, (int, struct sockaddr *, socklen_t *))                                     \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                               \
    X(int, close, (int))                                                                      \
    X(int, open, (const char *, int, ...))                                                    \
    X(int, openat, (int, const char *, int, ...))                                             \
    X(int, creat, (const char *, mode_t))                                                     \
    X(int, __open_2, (const char *, int))                                                     \
    X(int, __openat_2, (int, const char *, int))                                              \
    X(ssize_t, sendfile, (int, int, off_t *, size_t))                                         \
    X(ssize_t, splice, (int, off_t *, int, off_t *, size_t, unsigned))                        \
    X(ssize_t, tee, (int, int, size_t, unsigned))                                             \
    X(ssize_t, vmsplice, (int, const struct iovec *, size_t, unsigned))                       \
    X(int, sendmmsg, (int, struct mmsghdr *, unsigned, int))                                  \
    X(int, recvmmsg, (int, struct mmsghdr *, unsigned, int, struct timespec *))               \
    X(int, eventfd_read, (int, uint64_t *))                                                   \
    X(int, eventfd_write, (int, uint64_t))

/* signal dispositions, masks and waits */
#define GP_REAL_SIGNALS(X)                                                                    \
    X(int, pthread_kill, (pthread_t, int))                                                    \
    X(int, pthread_sigqueue, (pthread_t, int, const union sigval))                            \
    X(int, sigaction, (int, const struct sigaction *, struct sigaction *))                    \
    X(__sighandler_t, signal, (int, __sighandler_t))                                          \
    X(__sighandler_t, bsd_signal, (int, __sighandler_t))                                      \
    X(__sighandler_t, sysv_signal, (int, __sighandler_t))                                     \
    X(__sighandler_t, sigset, (int, __sighandler_t))                                          \
    X(int, sigignore, (int))                                                                  \
    X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))                              \
    X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                                  \
    X(int, sigblock, (int))                                                                   \
    X(int, sigsetmask, (int))                                                                 \
    X(int, siggetmask, (void))                                                                \
    X(int, sighold, (int))                                                                    \
    X(int, sigrelse, (int))                                                                   \
    X(int, sigpending, (sigset_t *))                                                          \
    X(int, sigsuspend, (const sigset_t *))                                                    \
    X(int, pause, (void))                                                                     \
    X(int, sigpause, (int))                                                                   \
    X(int, __sigpause, (int, int))                                                            \
    X(int, __xpg_sigpause, (int))                                                             \
    X(int, sigwait, (const sigset_t *, int *))                                                \
    X(int, sigwaitinfo, (const sigset_t *, siginfo_t *))                                      \
    X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))            \
    X(void, siglongjmp, (struct __jmp_buf_tag *, int))                                        \
    X(void, longjmp, (struct __jmp_buf_tag *, int))                                           \
    X(void, _longjmp, (struct __jmp_buf_tag *, int))                                          \
    X(void, __longjmp_chk, (struct __jmp_buf_tag *, int))

/* poll, select, epoll */
#define GP_REAL_POLL(X)                                                                       \
    X(int, poll, (struct pollfd *, nfds_t, int))                                              \
    X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                                \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))       \
    X(int, __ppoll_chk,                                                                       \
      (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))           \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                     \
    X(int, pselect,                                                                           \
      (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))         \
    X(int, epoll_wait, (int, struct epoll_event *, int, int))                                 \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))              \
    X(int, epoll_pwait2,                                                                      \
      (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))

/* waiting for and starting processes */
#define GP_REAL_PROCESS(X)                                                                    \
    X(pid_t, wait, (int *))                                                                   \
    X(pid_t, waitpid, (pid_t, int *, int))                                                    \
    X(pid_t, wait3, (int *, int, struct rusage *))                                            \
    X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                                     \
    X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                                        \
    X(int, system, (const char *))                                                            \
    X(FILE *, popen, (const char *, const char *))                                            \
    X(int, pclose, (FILE *))

/* stdio streams: the interposed names (the variadic ones through their v-forms), and
 * glibc's exported libio helpers that the cooperative versions build on */
#define GP_REAL_STDIO(X)                                                                      \
    X(char *, fgets, (char *, int, FILE *))                                                   \
    X(char *, fgets_unlocked, (char *, int, FILE *))                                          \
    X(char *, __fgets_chk, (char *, size_t, int, FILE *))                                     \
    X(char *, __fgets_unlocked_chk, (char *, size_t, int, FILE *))                            \
    X(int, fgetc, (FILE *))                                                                   \
    X(int, fgetc_unlocked, (FILE *))                                                          \
    X(int, getc, (FILE *))                                                                    \
    X(int, getc_unlocked, (FILE *))                                                           \
    X(int, getchar, (void))                                                                   \
    X(int, getchar_unlocked, (void))                                                          \
    X(int, __uflow, (FILE *))                                                                 \
    X(int, __underflow, (FILE *))                                                             \
    X(ssize_t, getline, (char **, size_t *, FILE *))                                          \
    X(ssize_t, getdelim, (char **, size_t *, int, FILE *))                                    \
    X(ssize_t, __getdelim, (char **, size_t *, int, FILE *))                                  \
    X(size_t, fread, (void *, size_t, size_t, FILE *))                                        \
    X(size_t, fread_unlocked, (void *, size_t, size_t, FILE *))                               \
    X(size_t, __fread_chk, (void *, size_t, size_t, size_t, FILE *))                          \
    X(size_t, __fread_unlocked_chk, (void *, size_t, size_t, size_t, FILE *))                 \
    X(int, getw, (FILE *))                                                                    \
    X(int, vfscanf, (FILE *, const char *, va_list))                                          \
    X(int, __isoc99_vfscanf, (FILE *, const char *, va_list))                                 \
    X(size_t, fwrite, (const void *, size_t, size_t, FILE *))                                 \
    X(size_t, fwrite_unlocked, (const void *, size_t, size_t, FILE *))                        \
    X(int, fputs, (const char *, FILE *))                                                     \
    X(int, fputs_unlocked, (const char *, FILE *))                                            \
    X(int, puts, (const char *))                                                              \
    X(int, fputc, (int, FILE *))                                                              \
    X(int, fputc_unlocked, (int, FILE *))                                                     \
    X(int, putc, (int, FILE *))                                                               \
    X(int, putc_unlocked, (int, FILE *))                                                      \
    X(int, putchar, (int))                                                                    \
    X(int, putchar_unlocked, (int))                                                           \
    X(int, __overflow, (FILE *, int))                                                         \
    X(int, putw, (int, FILE *))                                                               \
    X(int, vfprintf, (FILE *, const char *, va_list))                                         \
    X(int, __vfprintf_chk, (FILE *, int, const char *, va_list))                              \
    X(int, vdprintf, (int, const char *, va_list))                                            \
    X(int, __vdprintf_chk, (int, int, const char *, va_list))                                 \
    X(int, __vsnprintf_chk, (char *, size_t, int, size_t, const char *, va_list))             \
    X(int, fflush, (FILE *))                                                                  \
    X(int, fflush_unlocked, (FILE *))                                                         \
    X(int, fclose, (FILE *))                                                                  \
    X(void, flockfile, (FILE *))                                                              \
    X(int, ftrylockfile, (FILE *))                                                            \
    X(void, funlockfile, (FILE *))                                                            \
    X(void, _IO_doallocbuf, (FILE *))                                                         \
    X(int, _IO_switch_to_get_mode, (FILE *))                                                  \
    X(void, _IO_free_backup_area, (FILE *))                                                   \
    X(void, _IO_list_lock, (void))                                                            \
    X(void, _IO_list_unlock, (void))

/* name resolution */
#define GP_REAL_RESOLVER(X)                                                                   \
    X(int, getaddrinfo, (const char *, const char *, const struct addrinfo *, struct addrinfo **))\
    X(int, getnameinfo, (const struct sockaddr *, socklen_t, char *, socklen_t, char *,       \
                         socklen_t, int))                                                     \
    X(struct hostent *, gethostbyname, (const char *))                                        \
    X(struct hostent *, gethostbyname2, (const char *, int))                                  \
    X(struct hostent *, gethostbyaddr, (const void *, socklen_t, int))                        \
    X(int, gethostbyname_r, (const char *, struct hostent *, char *, size_t, struct hostent **,\
                             int *))                                                          \
    X(int, gethostbyname2_r, (const char *, int, struct hostent *, char *, size_t,            \
                              struct hostent **, int *))                                      \
    X(int, gethostbyaddr_r, (const void *, socklen_t, int, struct hostent *, char *, size_t,  \
                             struct hostent **, int *))                                       \
    X(int, res_query, (const char *, int, int, unsigned char *, int))                         \
    X(int, res_search, (const char *, int, int, unsigned char *, int))                        \
    X(int, res_querydomain, (const char *, const char *, int, int, unsigned char *, int))     \
    X(int, res_send, (const unsigned char *, int, unsigned char *, int))                      \
    X(int, res_nquery, (struct __res_state *, const char *, int, int, unsigned char *, int))  \
    X(int, res_nsearch, (struct __res_state *, const char *, int, int, unsigned char *, int)) \
    X(int, res_nquerydomain, (struct __res_state *, const char *, const char *, int, int,     \
                              unsigned char *, int))                                          \
    X(int, res_nsend, (struct __res_state *, const unsigned char *, int, unsigned char *, int))

/* the rest that goes to the worker pool as a whole */
#define GP_REAL_POOLED(X)                                                                     \
    X(int, aio_suspend, (const struct aiocb *const[], int, const struct timespec *))          \
    X(int, lio_listio, (int, struct aiocb *const[], int, struct sigevent *))                  \
    X(int, wordexp, (const char *, wordexp_t *, int))                                         \
    X(void, sync, (void))

/* regular files and file locks */
#define GP_REAL_FILES(X)                                                                      \
    X(ssize_t, pread, (int, void *, size_t, off_t))                                           \
    X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                    \
    X(ssize_t, preadv, (int, const struct iovec *, int, off_t))                               \
    X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))                              \
    X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))                         \
    X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))                        \
    X(int, fsync, (int))                                                                      \
    X(int, fdatasync, (int))                                                                  \
    X(int, syncfs, (int))                                                                     \
    X(int, sync_file_range, (int, off_t, off_t, unsigned int))                                \
    X(int, msync, (void *, size_t, int))                                                      \
    X(int, ftruncate, (int, off_t))                                                           \
    X(int, fallocate, (int, int, off_t, off_t))                                               \
    X(int, posix_fallocate, (int, off_t, off_t))                                              \
    X(int, flock, (int, int))                                                                 \
    X(int, fcntl, (int, int, ...))                                                            \
    X(int, lockf, (int, int, off_t))                                                          \
    X(int, tcdrain, (int))                                                                    \
    X(int, tcsendbreak, (int, int))                                                           \
    X(ssize_t, msgrcv, (int, void *, size_t, long, int))                                      \
    X(int, msgsnd, (int, const void *, size_t, int))                                          \
    X(int, semop, (int, struct sembuf *, size_t))                                             \
    X(int, semtimedop, (int, struct sembuf *, size_t, const struct timespec *))               \
    X(ssize_t, mq_receive, (mqd_t, char *, size_t, unsigned *))                               \
    X(int, mq_send, (mqd_t, const char *, size_t, unsigned))                                  \
    X(ssize_t, mq_timedreceive, (mqd_t, char *, size_t, unsigned *, const struct timespec *)) \
    X(int, mq_timedsend, (mqd_t, const char *, size_t, unsigned, const struct timespec *))

/* syscall() */
#define GP_REAL_SYSCALL(X)                                                                    \
    X(long, syscall, (long, ...))

#define GP_REAL_FUNCTIONS(X)                                                                  \
    GP_REAL_THREADS(X)                                                                        \
    GP_REAL_SYNC(X)                                                                           \
    GP_REAL_TLS(X)                                                                            \
    GP_REAL_SLEEP(X)                                                                          \
    GP_REAL_IO(X)                                                                             \
    GP_REAL_SIGNALS(X)                                                                        \
    GP_REAL_POLL(X)                                                                           \
    GP_REAL_PROCESS(X)                                                                        \
    GP_REAL_STDIO(X)                                                                          \
    GP_REAL_RESOLVER(X)                                                                       \
    GP_REAL_FILES(X)                                                                          \
    GP_REAL_SYSCALL(X)                                                                        \
    GP_REAL_POOLED(X)

#define GP_REAL_FIELD(ret, name, args) ret(*name) args;
struct gp_real {
    GP_REAL_FUNCTIONS(GP_REAL_FIELD)
};
#undef GP_REAL_FIELD

extern struct gp_real gp__real;

/* Every slot of gp__real is callable from the start, from any thread: a slot not yet
 * resolved holds a stub that resolves it. gp__real_resolve readies the table: it resolves
 * at once the names that dlsym may come back through (the mutex functions, which a
 * program-supplied malloc locks). Safe to call more than once and from any thread; returns
 * false while that resolution is under way on this thread (dlsym re-entered the shim),
 * in which case the caller must not use the table. */
bool gp__real_resolve(void);

/* Binds every name not bound yet, once. Called before anything the shim runs in a signal
 * handler can call a real function there, where a first-call lookup is not safe (dlsym
 * takes the dynamic linker's lock, which the interrupted code may be holding): when the
 * first green thread starts (the shim's own signal handling), when the program installs a
 * handler (it runs through the shim's trampoline, and its calls through the gates) and when
 * the thread dump's handler is installed. A program that does none of these keeps the lazy
 * binding, as a lazily bound program's own calls are. */
void gp__real_bind_all(void);

/* Set when a name could not be resolved: the report of it must not call through the table. */
extern bool gp__real_broken;

#endif
