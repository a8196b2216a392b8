/* See file.h. */
#include "file.h"

#include "config.h"
#include "pool.h"
#include "real.h"
#include "timeout.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static long neg_errno(long r) { return r < 0 ? -errno : r; }

/* Kept in memory (tmpfs, procfs, ...), or the pseudo file systems of fds that are no files
 * but on which a disk call may be made (and fail at once). */
static bool memory_type(long type)
{
    switch (type) {
    case TMPFS_MAGIC: case RAMFS_MAGIC: case PROC_SUPER_MAGIC: case SYSFS_MAGIC:
    case DEBUGFS_MAGIC: case TRACEFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
    case HUGETLBFS_MAGIC: case SECURITYFS_MAGIC: case BPF_FS_MAGIC:
    case PIPEFS_MAGIC: case SOCKFS_MAGIC: case DEVPTS_SUPER_MAGIC: case ANON_INODE_FS_MAGIC:
        return true;
    default:
        return false;
    }
}

static bool in_memory(int fd)
{
    struct statfs st;
    return fstatfs(fd, &st) == 0 && memory_type(st.f_type);
}

/* Pages checked at most before a read; a longer read of a file that cannot say goes to the
 * pool (it takes long enough for the round trip not to matter). */
enum { MINCORE_MAX_PAGES = 1024 };

/* Whether the page cache holds every page of the file that a read of length bytes at
 * offset (-1: the file position) would read: mincore of a mapping of that range. */
static bool pages_cached(int fd, off_t offset, size_t length)
{
    struct stat st;
    if ((offset < 0 && (offset = lseek(fd, 0, SEEK_CUR)) < 0) || fstat(fd, &st) < 0)
        return false;
    if (offset >= st.st_size || length == 0)
        return true; /* nothing to read */
    off_t end = length < (size_t)(st.st_size - offset) ? offset + (off_t)length : st.st_size;
    off_t page = (off_t)sysconf(_SC_PAGESIZE), first = offset & ~(page - 1);
    size_t span = (size_t)(end - first), pages = (span + (size_t)page - 1) / (size_t)page;
    if (pages > MINCORE_MAX_PAGES)
        return false;
    void *map = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, first);
    if (map == MAP_FAILED)
        return false;
    unsigned char resident[MINCORE_MAX_PAGES];
    bool all = mincore(map, span, resident) == 0;
    for (size_t i = 0; all && i < pages; i++)
        all = resident[i] & 1;
    munmap(map, span);
    return all;
}

bool gp__file_read_cached(int fd, off_t offset, size_t length)
{
    struct statfs st;
    if (fstatfs(fd, &st) < 0)
        return false;
    if (memory_type(st.f_type))
        return true;
    /* An overlay file (a container's) cannot try RWF_NOWAIT, but its mapping is its lower
     * file's, whose pages mincore sees. A network file system's cached pages may still
     * wait for the server: no such check there. */
    return st.f_type == OVERLAYFS_SUPER_MAGIC && pages_cached(fd, offset, length);
}

/* The arguments of one call, on the parked caller's stack while a worker makes it. */
struct file_call {
    int fd;
    int cmd;     /* a mode, flags, an operation or a command */
    off_t a, b;  /* offsets and lengths */
    void *p;     /* an address, or fcntl's struct flock */
};

/* A call that waits for the disk: where GREENPATCH_FILE_IO says (fd < 0: a call without
 * an fd, never in memory). */
static int disk_call(long (*fn)(void *), struct file_call *c)
{
    if (gp__config.file_io == GP_FILE_IO_INLINE || (c->fd >= 0 && in_memory(c->fd)))
        return (int)fn(c);
    return (int)gp__pool_call(fn, c);
}

static int fd_of(void *p) { return ((struct file_call *)p)->fd; }
static long fsync_call(void *p) { return neg_errno(gp__real.fsync(fd_of(p))); }
static long fdatasync_call(void *p) { return neg_errno(gp__real.fdatasync(fd_of(p))); }
static long syncfs_call(void *p) { return neg_errno(gp__real.syncfs(fd_of(p))); }

static long sync_call(void *p)
{
    (void)p;
    gp__real.sync();
    return 0;
}

static long sync_file_range_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.sync_file_range(c->fd, c->a, c->b, (unsigned)c->cmd));
}

static long msync_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.msync(c->p, (size_t)c->a, c->cmd));
}

static long ftruncate_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.ftruncate(c->fd, c->a));
}

static long fallocate_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.fallocate(c->fd, c->cmd, c->a, c->b));
}

static long posix_fallocate_call(void *p)
{
    struct file_call *c = p;
    return -gp__real.posix_fallocate(c->fd, c->a, c->b);
}

int gp__file_fsync(int fd) { return disk_call(fsync_call, &(struct file_call){.fd = fd}); }
int gp__file_fdatasync(int fd) { return disk_call(fdatasync_call, &(struct file_call){.fd = fd}); }
int gp__file_syncfs(int fd) { return disk_call(syncfs_call, &(struct file_call){.fd = fd}); }
int gp__file_sync(void) { return disk_call(sync_call, &(struct file_call){.fd = -1}); }

int gp__file_sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags)
{
    return disk_call(sync_file_range_call,
                     &(struct file_call){.fd = fd, .cmd = (int)flags, .a = offset, .b = nbytes});
}

/* msync waits for the disk with MS_SYNC only; the mapping's file is not known here. */
int gp__file_msync(void *addr, size_t length, int flags)
{
    struct file_call c = {.fd = -1, .cmd = flags, .a = (off_t)length, .p = addr};
    return (flags & MS_SYNC) ? disk_call(msync_call, &c) : (int)msync_call(&c);
}

int gp__file_ftruncate(int fd, off_t length)
{
    return disk_call(ftruncate_call, &(struct file_call){.fd = fd, .a = length});
}

int gp__file_fallocate(int fd, int mode, off_t offset, off_t length)
{
    return disk_call(fallocate_call,
                     &(struct file_call){.fd = fd, .cmd = mode, .a = offset, .b = length});
}

int gp__file_posix_fallocate(int fd, off_t offset, off_t length)
{
    return disk_call(posix_fallocate_call, &(struct file_call){.fd = fd, .a = offset, .b = length});
}

/* ---- locks: tried inline without waiting, waited for in the pool ---- */

static long flock_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.flock(c->fd, c->cmd));
}

static long fcntl_lock_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.fcntl(c->fd, c->cmd, c->p));
}

static long lockf_call(void *p)
{
    struct file_call *c = p;
    return neg_errno(gp__real.lockf(c->fd, c->cmd, c->a));
}

/* try is the call without waiting (the same arguments with try_cmd); when it says another
 * holder has the lock (busy_errno, or also EACCES for the POSIX locks, which the kernel
 * may report instead of EAGAIN), wait is made in the pool. */
static int take_lock(long (*fn)(void *), struct file_call *c, int try_cmd, int wait_cmd)
{
    c->cmd = try_cmd;
    int r = (int)fn(c);
    if (r != -EAGAIN && r != -EACCES)
        return r;
    c->cmd = wait_cmd;
    return (int)gp__pool_wait(fn, c);
}

int gp__file_flock(int fd, int operation)
{
    /* EWOULDBLOCK is EAGAIN on Linux; flock never says EACCES. */
    return take_lock(flock_call, &(struct file_call){.fd = fd}, operation | LOCK_NB, operation);
}

int gp__file_setlkw(int fd, int cmd, void *fl)
{
    return take_lock(fcntl_lock_call, &(struct file_call){.fd = fd, .p = fl},
                cmd == F_OFD_SETLKW ? F_OFD_SETLK : F_SETLK, cmd);
}

int gp__file_lockf(int fd, off_t length)
{
    return take_lock(lockf_call, &(struct file_call){.fd = fd, .a = length}, F_TLOCK, F_LOCK);
}

/* ---- POSIX asynchronous I/O ---- */

struct aio_suspend_call {
    const struct aiocb *const *list;
    int n;
    const struct timespec *timeout;
};

static long aio_suspend_call(void *p)
{
    struct aio_suspend_call *c = p;
    return neg_errno(gp__real.aio_suspend(c->list, c->n, c->timeout));
}

int gp__file_aio_suspend(const struct aiocb *const list[], int n, const struct timespec *timeout)
{
    static const struct timespec now = {0, 0};
    struct aio_suspend_call c = {list, n, &now};
    int r = (int)aio_suspend_call(&c);
    if (r != -EAGAIN || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0))
        return r;
    /* The worker's wait ends at the timeout scope's deadline (timeout.h) when that comes
     * first: then ETIMEDOUT instead of the call's own EAGAIN. An invalid timeout is the
     * kernel's to refuse. */
    bool valid = !timeout || (gp__timespec_valid(timeout) && timeout->tv_sec >= 0);
    int64_t own = timeout && valid ? gp__deadline_after(gp__timespec_ns(timeout)) : GP_NO_DEADLINE;
    int64_t deadline = valid ? gp__timeout_bound(own) : own;
    struct timespec left;
    c.timeout = timeout;
    if (deadline < own) {
        int64_t ns = deadline - gp__now_ns();
        ns = ns > 0 ? ns : 0;
        left = (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        c.timeout = &left;
    }
    r = (int)gp__pool_wait(aio_suspend_call, &c);
    return r == -EAGAIN ? gp__timeout_error(own, r) : r;
}
