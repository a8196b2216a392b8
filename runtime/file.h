/* Calls on files that wait without anything to poll for: syncs and size changes that wait
 * for the disk, file locks that wait for another process, and waits for POSIX asynchronous
 * I/O. They run in the worker pool (pool.h) while the calling green thread parks.
 *
 * Disk calls follow GREENPATCH_FILE_IO (config.h): inline runs them on the caller's
 * thread; auto and pool send them to the pool, except on a file system kept in memory
 * (tmpfs, procfs, ...), where nothing waits for a device. A lock is first tried without
 * waiting, inline; only a lock that another holder keeps is waited for in the pool, as a
 * wait for another party (gp__pool_wait). Like the kernel's disk waits, a pool call is not
 * interrupted by a signal handler: the handler runs when the call is done (natively a lock
 * wait fails with EINTR when a handler without SA_RESTART runs; not here).
 *
 * All functions return 0 (or a count) or a negative errno. */
#ifndef GP_FILE_H
#define GP_FILE_H

#include <aio.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* For a disk file that cannot try RWF_NOWAIT: whether a read of length bytes at offset
 * (-1: the file position) would be served without waiting for a device (its file system is
 * kept in memory, or it is an overlay file whose pages the page cache holds). */
bool gp__file_read_cached(int fd, off_t offset, size_t length);

int gp__file_fsync(int fd);
int gp__file_fdatasync(int fd);
int gp__file_syncfs(int fd);
int gp__file_sync(void); /* always 0: sync cannot fail */
int gp__file_sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags);
int gp__file_msync(void *addr, size_t length, int flags);
int gp__file_ftruncate(int fd, off_t length);
int gp__file_fallocate(int fd, int mode, off_t offset, off_t length);
/* posix_fallocate returns its error number: the result is 0 or that number, negated. */
int gp__file_posix_fallocate(int fd, off_t offset, off_t length);

/* flock without LOCK_NB. */
int gp__file_flock(int fd, int operation);
/* fcntl F_SETLKW and F_OFD_SETLKW. */
int gp__file_setlkw(int fd, int cmd, void *lock);
/* lockf F_LOCK. */
int gp__file_lockf(int fd, off_t length);

/* aio_suspend: tried without waiting, then waited for in the pool (glibc's own helper
 * threads, which no green thread is, complete the requests). */
int gp__file_aio_suspend(const struct aiocb *const list[], int n, const struct timespec *timeout);

#endif
