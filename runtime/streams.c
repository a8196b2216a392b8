/* See streams.h. Every function here mirrors the glibc 2.36 function named in its comment
 * (Debian 12's glibc; the FILE fields are public ABI, the flag bits below are glibc's
 * private libio/libio.h values, unchanged since glibc 2.1). */
#include "streams.h"

#include "cancel.h"
#include "filelock.h"
#include "hub.h"
#include "io.h"
#include "process.h"
#include "real.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wchar.h>

/* glibc's FILE flag bits; <bits/types/struct_FILE.h> gives _IO_EOF_SEEN, _IO_ERR_SEEN and
 * _IO_USER_LOCK only. */
enum {
    F_UNBUFFERED = 0x0002,
    F_NO_READS = 0x0004,
    F_NO_WRITES = 0x0008,
    F_LINKED = 0x0080,          /* on _IO_list_all */
    F_IN_BACKUP = 0x0100,       /* reading the ungetc backup area */
    F_LINE_BUF = 0x0200,
    F_CURRENTLY_PUTTING = 0x0800,
    F_IS_APPENDING = 0x1000,
};
_Static_assert(_IO_EOF_SEEN == 0x0010 && _IO_ERR_SEEN == 0x0020 && _IO_USER_LOCK == 0x8000,
               "glibc's FILE flags");

#define POS_BAD ((__off64_t)-1) /* _IO_pos_BAD: _offset unknown */

/* glibc's list of open streams, guarded by _IO_list_lock (exported since glibc 2.2.5). */
extern FILE *_IO_list_all;

extern void __chk_fail(void) __attribute__((noreturn));

static size_t avail(const FILE *fp) { return (size_t)(fp->_IO_read_end - fp->_IO_read_ptr); }

/* glibc's byte functions orient an unoriented stream (_IO_fwide (fp, -1)). */
static void orient(FILE *fp)
{
    if (fp->_mode == 0)
        fwide(fp, -1);
}

/* ---- locks and cancellation ----
 *
 * glibc's stdio calls are cancellation points where they call glibc's internal read and
 * write (both cancellable): a request is acted on just before a read or write, and while
 * one waits. Here that is before each wait for input, each direct read and each write,
 * and when the wait or transfer fails (woken for the request): inside the call, where
 * the FILE is as glibc's would be at that point (its buffer pointers not yet moved for
 * the bytes that did not go out). The locks the call holds are registered as cleanup
 * handlers of the calling green thread (the old protocol's list, cancel.h), so that the
 * unwinding gives them back, as glibc's _IO_acquire_lock does. */

/* A locked call that may wait: the green lock for the other green threads, then glibc's
 * for the OS threads the scheduler does not run (glibc skips its lock on a stream whose
 * program took the locking over with __fsetlocking). */
static void lock(FILE *fp)
{
    gp__filelock_acquire(fp);
    if (!(fp->_flags & _IO_USER_LOCK))
        gp__real.flockfile(fp);
}

static void unlock(void *p)
{
    FILE *fp = p;
    if (!(fp->_flags & _IO_USER_LOCK))
        gp__real.funlockfile(fp);
    gp__filelock_release(fp);
}

/* The locks of a call, with their release registered in hold, on the caller's stack. */
static void take(FILE *fp, struct _pthread_cleanup_buffer *hold)
{
    lock(fp);
    gp__cancel_push_old(hold, unlock, fp);
}

static void give(struct _pthread_cleanup_buffer *hold) { gp__cancel_pop_old(hold, 1); }

static void take_if(FILE *fp, bool locked, struct _pthread_cleanup_buffer *hold)
{
    if (locked)
        take(fp, hold);
}

static void give_if(bool locked, struct _pthread_cleanup_buffer *hold)
{
    if (locked)
        give(hold);
}

/* The runtime's transfers and waits report errors as return values and may leave errno
 * changed by the attempts they made: the program's errno is kept around them. */
#define KEEP_ERRNO(expr)                                                                      \
    ({                                                                                        \
        int kept_errno_ = errno;                                                              \
        __typeof__(expr) r_ = (expr);                                                         \
        errno = kept_errno_;                                                                  \
        r_;                                                                                   \
    })

/* ---- output: libio/fileops.c with the write made cooperative ---- */

/* _IO_new_file_write: a write error sets the error flag and errno and ends the loop. */
static size_t file_write(FILE *fp, const char *data, size_t n)
{
    size_t done = 0;
    while (done < n) {
        gp__cancel_point(); /* glibc's write */
        struct iovec iov = {.iov_base = (char *)data + done, .iov_len = n - done};
        ssize_t r = KEEP_ERRNO(gp__io_writev(fp->_fileno, &iov, 1));
        gp__cancel_point_after(r);
        if (r < 0) {
            fp->_flags |= _IO_ERR_SEEN;
            errno = (int)-r;
            break;
        }
        done += (size_t)r;
    }
    if (fp->_offset >= 0)
        fp->_offset += (__off64_t)done;
    return done;
}

/* new_do_write: writes n bytes and leaves the buffer empty, written or not. (glibc also
 * updates _cur_column here when it is not 0; nothing in glibc makes it other than 0.) */
static size_t do_write(FILE *fp, const char *data, size_t n)
{
    if (fp->_flags & F_IS_APPENDING) {
        fp->_offset = POS_BAD;
    } else if (fp->_IO_read_end != fp->_IO_write_base) {
        __off64_t pos = lseek(fp->_fileno, fp->_IO_write_base - fp->_IO_read_end, SEEK_CUR);
        if (pos == POS_BAD)
            return 0;
        fp->_offset = pos;
    }
    size_t count = file_write(fp, data, n);
    fp->_IO_read_base = fp->_IO_read_ptr = fp->_IO_read_end = fp->_IO_buf_base;
    fp->_IO_write_base = fp->_IO_write_ptr = fp->_IO_buf_base;
    fp->_IO_write_end = fp->_mode <= 0 && (fp->_flags & (F_LINE_BUF | F_UNBUFFERED))
                            ? fp->_IO_buf_base
                            : fp->_IO_buf_end;
    return count;
}

/* _IO_do_write of what the buffer holds (_IO_do_flush). */
static int flush_buffer(FILE *fp)
{
    size_t n = (size_t)(fp->_IO_write_ptr - fp->_IO_write_base);
    return n == 0 || do_write(fp, fp->_IO_write_base, n) == n ? 0 : EOF;
}

/* _IO_new_file_overflow: the buffer is full, or c must go out now (a newline of a
 * line-buffered stream, any byte of an unbuffered one), or c is EOF (flush). */
static int overflow(FILE *fp, int c)
{
    if (fp->_flags & F_NO_WRITES) {
        fp->_flags |= _IO_ERR_SEEN;
        errno = EBADF;
        return EOF;
    }
    if (!(fp->_flags & F_CURRENTLY_PUTTING) || !fp->_IO_write_base) {
        /* A stream that was reading, or has no buffer yet, becomes a writing one; glibc's
         * own overflow does that and then has nothing to write. (__overflow also orients
         * the stream, which its internal callers do not: keep the orientation.) */
        int mode = fp->_mode;
        gp__real.__overflow(fp, EOF);
        fp->_mode = mode;
    }
    if (c == EOF)
        return flush_buffer(fp);
    if (fp->_IO_write_ptr == fp->_IO_buf_end && flush_buffer(fp) == EOF)
        return EOF;
    *fp->_IO_write_ptr++ = (char)c;
    if (((fp->_flags & F_UNBUFFERED) || ((fp->_flags & F_LINE_BUF) && c == '\n')) &&
        flush_buffer(fp) == EOF)
        return EOF;
    return (unsigned char)c;
}

/* _IO_putc_unlocked: the inline fast path, else __overflow. */
static int put_byte(FILE *fp, int c)
{
    if (fp->_IO_write_ptr < fp->_IO_write_end)
        return (unsigned char)(*fp->_IO_write_ptr++ = (char)c);
    orient(fp);
    return overflow(fp, (unsigned char)c);
}

/* Copies as many of the n bytes at s as room allows into the buffer; returns how many. */
static size_t buffer_put(FILE *fp, const char *s, size_t room, size_t n)
{
    size_t count = room < n ? room : n;
    memcpy(fp->_IO_write_ptr, s, count);
    fp->_IO_write_ptr += count;
    return count;
}

/* _IO_default_xsputn: the rest after the direct write, byte by byte through overflow when
 * the buffer is full (line-buffered streams always are). */
static size_t default_xsputn(FILE *fp, const char *s, size_t n)
{
    size_t more = n;
    for (;;) {
        if (fp->_IO_write_ptr < fp->_IO_write_end) {
            size_t count = buffer_put(fp, s, (size_t)(fp->_IO_write_end - fp->_IO_write_ptr), more);
            s += count;
            more -= count;
        }
        if (more == 0 || overflow(fp, (unsigned char)*s++) == EOF)
            break;
        more--;
    }
    return n - more;
}

/* _IO_new_file_xsputn: fill the buffer; if that is not all, flush it, write whole blocks
 * directly and buffer the rest. Returns the bytes taken, or EOF when all were buffered
 * but the flush failed. */
static size_t xsputn(FILE *fp, const char *s, size_t n)
{
    size_t to_do = n, count = 0;
    bool must_flush = false;
    if (n == 0)
        return 0;
    if ((fp->_flags & F_LINE_BUF) && (fp->_flags & F_CURRENTLY_PUTTING)) {
        count = (size_t)(fp->_IO_buf_end - fp->_IO_write_ptr);
        const char *newline = count >= n ? memrchr(s, '\n', n) : NULL;
        if (newline) {
            count = (size_t)(newline - s) + 1;
            must_flush = true;
        }
    } else if (fp->_IO_write_end > fp->_IO_write_ptr) {
        count = (size_t)(fp->_IO_write_end - fp->_IO_write_ptr);
    }
    if (count > 0) {
        count = buffer_put(fp, s, count, to_do);
        s += count;
        to_do -= count;
    }
    if (to_do == 0 && !must_flush)
        return n;
    if (overflow(fp, EOF) == EOF)
        return to_do == 0 ? (size_t)EOF : n - to_do;
    size_t block = (size_t)(fp->_IO_buf_end - fp->_IO_buf_base);
    size_t direct = to_do - (block >= 128 ? to_do % block : 0);
    if (direct) {
        count = do_write(fp, s, direct);
        to_do -= count;
        if (count < direct)
            return n - to_do;
    }
    if (to_do)
        to_do -= default_xsputn(fp, s + direct, to_do);
    return n - to_do;
}

/* ---- input: glibc's refill, called once the fd is readable ---- */

enum { READ_GO = 0, READ_EOF = 1 }; /* or a negative errno: the read fails */

/* _IO_switch_to_main_get_area: from the ungetc backup area back to the buffer. */
static void switch_to_main_get_area(FILE *fp)
{
    fp->_flags &= ~F_IN_BACKUP;
    char *end = fp->_IO_read_end, *base = fp->_IO_read_base;
    fp->_IO_read_end = fp->_IO_save_end;
    fp->_IO_save_end = end;
    fp->_IO_read_base = fp->_IO_save_base;
    fp->_IO_save_base = base;
    fp->_IO_read_ptr = fp->_IO_read_base;
}

/* _IO_new_file_underflow flushes a line-buffered stdout before it reads a line-buffered
 * or unbuffered stream: the prompt before the answer. */
static void flush_stdout_before_input(void)
{
    FILE *out = stdout;
    if ((out->_flags & (F_LINKED | F_NO_WRITES | F_LINE_BUF)) != (F_LINKED | F_LINE_BUF) ||
        !gp__stream_managed(out))
        return;
    struct _pthread_cleanup_buffer hold;
    take(out, &hold);
    overflow(out, EOF);
    give(&hold);
}

/* Brings fp to where the next __uflow or __underflow does not block: the writes glibc
 * makes before a read are done cooperatively, and when that refill would read, the fd is
 * readable. Returns READ_GO, READ_EOF (glibc's switch from writing failed: the refill
 * returns EOF), or the negative errno of a read that fails. */
static int before_refill(FILE *fp)
{
    orient(fp);
    if (fp->_flags & F_CURRENTLY_PUTTING) {
        if (fp->_IO_write_ptr > fp->_IO_write_base && overflow(fp, EOF) == EOF)
            return READ_EOF;
        gp__real._IO_switch_to_get_mode(fp); /* nothing left to write */
    }
    if (avail(fp) > 0 || ((fp->_flags & F_IN_BACKUP) && fp->_IO_save_end > fp->_IO_save_base) ||
        (fp->_flags & (_IO_EOF_SEEN | F_NO_READS)))
        return READ_GO; /* served from the buffer, or EOF at once (sticky, or unreadable) */
    if (!fp->_IO_buf_base && !fp->_IO_save_base)
        gp__real._IO_doallocbuf(fp); /* this decides line buffering (a terminal) */
    if (fp->_flags & (F_LINE_BUF | F_UNBUFFERED))
        flush_stdout_before_input();
    /* glibc's read comes next: acted on before the wait, and after it (nothing is read
     * yet), when pthread_cancel woke it or the request came meanwhile. */
    gp__cancel_point();
    int r = KEEP_ERRNO(gp__io_wait_ready(fp->_fileno, GP_HUB_READ));
    gp__cancel_point();
    return r;
}

/* What glibc's refill leaves when its read fails: the backup area dropped, the buffer
 * empty, the error flag, errno. */
static int read_failed(FILE *fp, int error)
{
    if (!fp->_markers && fp->_IO_save_base)
        gp__real._IO_free_backup_area(fp);
    fp->_IO_read_base = fp->_IO_read_ptr = fp->_IO_read_end = fp->_IO_buf_base;
    fp->_IO_write_base = fp->_IO_write_ptr = fp->_IO_write_end = fp->_IO_buf_base;
    fp->_flags |= _IO_ERR_SEEN;
    fp->_offset = POS_BAD;
    errno = error;
    return EOF;
}

/* __uflow (consume: the next byte, taken) or __underflow (the next byte, left). */
static int refill(FILE *fp, bool consume)
{
    int r = before_refill(fp);
    if (r == READ_EOF)
        return EOF;
    if (r < 0)
        return read_failed(fp, -r);
    return consume ? gp__real.__uflow(fp) : gp__real.__underflow(fp);
}

/* _IO_file_read straight into the caller's memory: a read that blocks as the program's
 * would, through the runtime. */
static ssize_t file_read(FILE *fp, char *s, size_t n)
{
    gp__cancel_point();
    struct iovec iov = {.iov_base = s, .iov_len = n};
    ssize_t r = KEEP_ERRNO(gp__io_readv(fp->_fileno, &iov, 1));
    gp__cancel_point_after(r);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* _IO_getline (fp, buf, n, '\n', 1): up to n bytes, through the first newline. */
static size_t get_line(FILE *fp, char *buf, size_t n)
{
    char *ptr = buf;
    orient(fp);
    while (n != 0) {
        size_t len = avail(fp);
        if (len == 0) {
            int c = refill(fp, true);
            if (c == EOF)
                break;
            *ptr++ = (char)c;
            if (c == '\n')
                break;
            n--;
            continue;
        }
        if (len > n)
            len = n;
        char *newline = memchr(fp->_IO_read_ptr, '\n', len);
        if (newline)
            len = (size_t)(newline - fp->_IO_read_ptr) + 1;
        memcpy(ptr, fp->_IO_read_ptr, len);
        fp->_IO_read_ptr += len;
        ptr += len;
        if (newline)
            break;
        n -= len;
    }
    return (size_t)(ptr - buf);
}

/* _IO_file_xsgetn: from the buffer; a request of a buffer or more is read directly, in
 * whole blocks. */
static size_t xsgetn(FILE *fp, char *s, size_t n)
{
    size_t want = n;
    if (!fp->_IO_buf_base) {
        /* glibc frees a backup area made before the buffer (and leaves its pointer
         * dangling); the exported helper frees it cleanly. */
        if (fp->_IO_save_base)
            gp__real._IO_free_backup_area(fp);
        gp__real._IO_doallocbuf(fp);
    }
    while (want > 0) {
        size_t have = avail(fp);
        if (want <= have) {
            memcpy(s, fp->_IO_read_ptr, want);
            fp->_IO_read_ptr += want;
            want = 0;
            break;
        }
        if (have > 0) {
            memcpy(s, fp->_IO_read_ptr, have);
            s += have;
            want -= have;
            fp->_IO_read_ptr += have;
        }
        if (fp->_flags & F_IN_BACKUP) {
            switch_to_main_get_area(fp);
            continue;
        }
        size_t block = (size_t)(fp->_IO_buf_end - fp->_IO_buf_base);
        if (fp->_IO_buf_base && want < block) {
            if (refill(fp, false) == EOF)
                break;
            continue;
        }
        fp->_IO_read_base = fp->_IO_read_ptr = fp->_IO_read_end = fp->_IO_buf_base;
        fp->_IO_write_base = fp->_IO_write_ptr = fp->_IO_write_end = fp->_IO_buf_base;
        size_t count = want - (fp->_IO_buf_base && block >= 128 ? want % block : 0);
        ssize_t got = file_read(fp, s, count);
        if (got <= 0) {
            fp->_flags |= got == 0 ? _IO_EOF_SEEN : _IO_ERR_SEEN;
            break;
        }
        s += got;
        want -= (size_t)got;
        if (fp->_offset != POS_BAD)
            fp->_offset += got;
    }
    return n - want;
}

/* ---- the fast-path questions ---- */

static bool others_hold(FILE *fp, bool locked)
{
    return locked && gp__filelock_held_by_other(fp);
}

bool gp__stream_plain_get(FILE *fp, bool locked, size_t want, int delim)
{
    if (!gp__stream_managed(fp))
        return true;
    if (others_hold(fp, locked))
        return false;
    size_t have = avail(fp);
    return have >= want || (delim >= 0 && have > 0 && memchr(fp->_IO_read_ptr, delim, have));
}

/* A stream in writing mode with a buffer: the state in which xsputn's first step decides. */
static bool putting(const FILE *fp)
{
    return (fp->_flags & F_CURRENTLY_PUTTING) && fp->_IO_write_base;
}

bool gp__stream_plain_put(FILE *fp, bool locked, const void *data, size_t n)
{
    if (!gp__stream_managed(fp) || (fp->_flags & F_NO_WRITES) || n == 0)
        return true; /* no write: fails at once, or nothing to do */
    if (others_hold(fp, locked) || !putting(fp))
        return false;
    if (fp->_flags & F_LINE_BUF)
        return n <= (size_t)(fp->_IO_buf_end - fp->_IO_write_ptr) && !memchr(data, '\n', n);
    return n <= (size_t)(fp->_IO_write_end - fp->_IO_write_ptr);
}

bool gp__stream_plain_putc(FILE *fp, bool locked)
{
    return !gp__stream_managed(fp) ||
           (!others_hold(fp, locked) && fp->_IO_write_ptr < fp->_IO_write_end);
}

bool gp__stream_plain_puts(const char *s)
{
    /* The newline of a line-buffered stdout always makes puts write. */
    FILE *out = stdout;
    return !gp__stream_managed(out) ||
           (!(out->_flags & F_LINE_BUF) && gp__stream_plain_put(out, true, s, strlen(s) + 1));
}

bool gp__stream_plain_flush(FILE *fp, bool locked)
{
    return !gp__stream_managed(fp) ||
           (!others_hold(fp, locked) && fp->_IO_write_ptr <= fp->_IO_write_base);
}

/* ---- input calls ---- */

int gp__stream_getc(FILE *fp, bool locked)
{
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    int c = avail(fp) > 0 ? *(unsigned char *)fp->_IO_read_ptr++ : refill(fp, true);
    give_if(locked, &hold);
    return c;
}

int gp__stream_uflow(FILE *fp) { return refill(fp, true); }

/* _IO_fgets, __fgets_unlocked, __fgets_chk, __fgets_unlocked_chk. An error is reported
 * only when it is new, and not for EAGAIN after some bytes (a non-blocking fd). */
char *gp__stream_fgets(char *buf, int n, FILE *fp, bool locked, size_t chk_size)
{
    if (n <= 0)
        return NULL;
    if (n == 1 && chk_size == SIZE_MAX) {
        buf[0] = '\0';
        return buf;
    }
    size_t limit = (size_t)n - 1 < chk_size ? (size_t)n - 1 : chk_size;
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    int old_error = fp->_flags & _IO_ERR_SEEN;
    fp->_flags &= ~_IO_ERR_SEEN;
    size_t count = get_line(fp, buf, limit);
    char *result = NULL;
    if (count > 0 && !((fp->_flags & _IO_ERR_SEEN) && errno != EAGAIN)) {
        if (count >= chk_size)
            __chk_fail();
        buf[count] = '\0';
        result = buf;
    }
    fp->_flags |= old_error;
    give_if(locked, &hold);
    return result;
}

/* _IO_getdelim. */
ssize_t gp__stream_getdelim(char **line, size_t *n, int delim, FILE *fp)
{
    if (!line || !n) {
        errno = EINVAL;
        return -1;
    }
    struct _pthread_cleanup_buffer hold;
    take(fp, &hold);
    ssize_t result = -1;
    if (fp->_flags & _IO_ERR_SEEN)
        goto out;
    if (!*line || *n == 0) {
        *n = 120;
        if (!(*line = malloc(*n)))
            goto out;
    }
    if (avail(fp) == 0 && refill(fp, false) == EOF)
        goto out;
    size_t cur = 0;
    for (;;) {
        size_t len = avail(fp);
        char *t = memchr(fp->_IO_read_ptr, delim, len);
        if (t)
            len = (size_t)(t - fp->_IO_read_ptr) + 1;
        if (len >= SSIZE_MAX - cur) {
            errno = EOVERFLOW;
            goto out;
        }
        size_t needed = cur + len + 1;
        if (needed > *n) {
            if (needed < 2 * *n)
                needed = 2 * *n;
            char *bigger = realloc(*line, needed);
            if (!bigger)
                goto out;
            *line = bigger;
            *n = needed;
        }
        memcpy(*line + cur, fp->_IO_read_ptr, len);
        fp->_IO_read_ptr += len;
        cur += len;
        if (t || refill(fp, false) == EOF)
            break;
    }
    (*line)[cur] = '\0';
    result = (ssize_t)cur;
out:
    give(&hold);
    return result;
}

/* _IO_fread, __fread_unlocked, __fread_chk, __fread_unlocked_chk. */
size_t gp__stream_fread(void *buf, size_t size, size_t count, FILE *fp, bool locked,
                        size_t chk_size)
{
    size_t bytes = size * count;
    if (chk_size != SIZE_MAX && (size | count) >= (size_t)1 << (4 * sizeof(size_t)) &&
        size != 0 && bytes / size != count)
        __chk_fail();
    if (bytes > chk_size)
        __chk_fail();
    if (bytes == 0)
        return 0;
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    size_t got = xsgetn(fp, buf, bytes);
    give_if(locked, &hold);
    return got == bytes ? count : got / size;
}

/* getw: no lock, as in glibc. */
int gp__stream_getw(FILE *fp)
{
    int w;
    return xsgetn(fp, (char *)&w, sizeof w) == sizeof w ? w : EOF;
}

/* ---- scanf: the real vfscanf on a stand-in stream ---- */

/* The stand-in's read: the FILE's buffered bytes, refilled cooperatively when used up.
 * glibc asks only when the stand-in's own buffer is empty, so what vfscanf has not used
 * at the end is always the tail of the last chunk handed out, which still lies in the
 * FILE's buffer just before its read pointer. */
static ssize_t scan_read(void *cookie, char *buf, size_t size)
{
    FILE *fp = cookie;
    if (avail(fp) == 0 && refill(fp, false) == EOF)
        return fp->_flags & _IO_EOF_SEEN ? 0 : -1; /* -1: errno is the read's */
    size_t n = avail(fp) < size ? avail(fp) : size;
    memcpy(buf, fp->_IO_read_ptr, n);
    fp->_IO_read_ptr += n;
    return (ssize_t)n;
}

/* A scan's FILE and its stand-in. */
struct scan {
    FILE *fp;
    FILE *stand_in; /* NULL until made */
};

/* The end of a scan, also when a cancellation acted on in a refill unwinds out of it
 * (then glibc's vfscanf has given the stand-in's lock back, and the stand-in's buffer has
 * nothing unused: vfscanf reads only once it is empty): what vfscanf did not use goes back
 * into the FILE, the stand-in is closed, the FILE's locks are given back. */
static void end_scan(void *p)
{
    struct scan *s = p;
    FILE *scan = s->stand_in, *fp = s->fp;
    if (scan) {
        /* vfscanf pushes back at most the byte it read last, which is still in the
         * stand-in's buffer: it never needs the backup area. */
        size_t unused = avail(scan);
        assert(!(scan->_flags & F_IN_BACKUP) &&
               unused <= (size_t)(fp->_IO_read_ptr - fp->_IO_read_base));
        fp->_IO_read_ptr -= unused;
        (void)KEEP_ERRNO(gp__real.fclose(scan));
    }
    unlock(fp);
}

int gp__stream_vfscanf(FILE *fp, const char *fmt, va_list ap, bool isoc99)
{
    struct scan s = {.fp = fp};
    struct _pthread_cleanup_buffer hold;
    lock(fp);
    gp__cancel_push_old(&hold, end_scan, &s);
    int result = EOF;
    char buf[512];
    s.stand_in = fopencookie(fp, "r", (cookie_io_functions_t){.read = scan_read});
    if (s.stand_in) {
        setvbuf(s.stand_in, buf, _IOFBF, sizeof buf);
        result = (isoc99 ? gp__real.__isoc99_vfscanf : gp__real.vfscanf)(s.stand_in, fmt, ap);
    }
    gp__cancel_pop_old(&hold, 1);
    return result;
}

/* ---- output calls ---- */

int gp__stream_putc(int c, FILE *fp, bool locked)
{
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    int r = put_byte(fp, c);
    give_if(locked, &hold);
    return r;
}

int gp__stream_overflow(FILE *fp, int c)
{
    orient(fp);
    return overflow(fp, c);
}

/* _IO_fputs, __fputs_unlocked: 1 on success, as glibc. */
int gp__stream_fputs(const char *s, FILE *fp, bool locked)
{
    size_t len = strlen(s);
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    orient(fp);
    int r = xsputn(fp, s, len) == len ? 1 : EOF;
    give_if(locked, &hold);
    return r;
}

/* _IO_puts. */
int gp__stream_puts(const char *s)
{
    FILE *out = stdout;
    size_t len = strlen(s);
    struct _pthread_cleanup_buffer hold;
    take(out, &hold);
    orient(out);
    int r = xsputn(out, s, len) == len && put_byte(out, '\n') != EOF
                ? (int)(len + 1 < INT_MAX ? len + 1 : INT_MAX)
                : EOF;
    give(&hold);
    return r;
}

/* _IO_fwrite, fwrite_unlocked: a flush that failed after everything was buffered still
 * counts as written. */
size_t gp__stream_fwrite(const void *buf, size_t size, size_t count, FILE *fp, bool locked)
{
    size_t bytes = size * count;
    if (bytes == 0)
        return 0;
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    orient(fp);
    size_t written = xsputn(fp, buf, bytes);
    give_if(locked, &hold);
    return written == bytes || written == (size_t)EOF ? count : written / size;
}

/* putw: no lock, as in glibc. */
int gp__stream_putw(int w, FILE *fp)
{
    return xsputn(fp, (const char *)&w, sizeof w) == sizeof w ? 0 : EOF;
}

/* fflush(NULL)'s streams, and the one it holds (also when a cancellation acted on in a
 * write unwinds out of it). */
struct flushing {
    FILE **pending;
    FILE *held; /* with both locks, or NULL */
};

static void end_flushing(void *p)
{
    struct flushing *f = p;
    if (f->held)
        unlock(f->held);
    free(f->pending);
}

/* fflush(NULL), _IO_flush_all: the streams that have a file descriptor are flushed
 * cooperatively here, in list order, one at a time with each one's lock (glibc holds its
 * list lock throughout, which would keep every other green thread from opening or closing
 * a stream while one waits); then glibc's own fflush(NULL) finds nothing left to write on
 * them and does the others (memory and wide streams). */
static int flush_all(void)
{
    gp__real._IO_list_lock();
    size_t n = 0;
    for (FILE *f = _IO_list_all; f; f = f->_chain)
        n += gp__stream_managed(f) && f->_IO_write_ptr > f->_IO_write_base;
    struct flushing flushing = {.pending = n ? malloc(n * sizeof(FILE *)) : NULL};
    FILE **pending = flushing.pending;
    size_t count = 0;
    for (FILE *f = _IO_list_all; pending && f; f = f->_chain)
        if (gp__stream_managed(f) && f->_IO_write_ptr > f->_IO_write_base)
            pending[count++] = f;
    gp__real._IO_list_unlock();
    struct _pthread_cleanup_buffer hold;
    gp__cancel_push_old(&hold, end_flushing, &flushing);
    int result = 0;
    for (size_t i = 0; i < count; i++) {
        FILE *fp = pending[i];
        gp__filelock_acquire(fp);
        /* Another green thread may have closed it meanwhile. */
        gp__real._IO_list_lock();
        FILE *f = _IO_list_all;
        while (f && f != fp)
            f = f->_chain;
        gp__real._IO_list_unlock();
        if (!f || !gp__stream_managed(fp)) {
            gp__filelock_release(fp);
            continue;
        }
        if (!(fp->_flags & _IO_USER_LOCK))
            gp__real.flockfile(fp);
        flushing.held = fp;
        if (flush_buffer(fp) == EOF)
            result = EOF;
        flushing.held = NULL;
        unlock(fp);
    }
    gp__cancel_pop_old(&hold, 1);
    return gp__real.fflush(NULL) == EOF ? EOF : result;
}

/* _IO_fflush, fflush_unlocked: the buffered bytes here, the rest (giving back read-ahead
 * on a seekable stream) by glibc, which then has nothing to write. */
int gp__stream_fflush(FILE *fp, bool locked)
{
    if (!fp)
        return flush_all();
    struct _pthread_cleanup_buffer hold;
    take_if(fp, locked, &hold);
    int r = EOF;
    if (flush_buffer(fp) == 0)
        r = locked ? gp__real.fflush(fp) : gp__real.fflush_unlocked(fp);
    give_if(locked, &hold);
    return r;
}

/* The text of a printf call, in the caller's small buffer or on the heap when longer.
 * Returns its length, or -1 with errno as vsnprintf left it. */
static int format(char **text, char *small, size_t size, int flag, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = flag < 0 ? vsnprintf(small, size, fmt, ap)
                     : gp__real.__vsnprintf_chk(small, size, flag, size, fmt, ap);
    *text = small;
    if (n >= 0 && (size_t)n >= size) {
        size_t big_size = (size_t)n + 1;
        char *big = malloc(big_size);
        if (!big)
            n = -1;
        else
            n = flag < 0 ? vsnprintf(big, big_size, fmt, again)
                         : gp__real.__vsnprintf_chk(big, big_size, flag, big_size, fmt, again);
        *text = big ? big : small;
    }
    va_end(again);
    return n;
}

enum { SMALL_TEXT = 256 };

/* vfprintf, __vfprintf_chk: formatted first, then written as one piece (glibc writes the
 * pieces as it formats them: the bytes are the same, only the points where a full buffer
 * goes out can differ). */
int gp__stream_vfprintf(FILE *fp, int flag, const char *fmt, va_list ap)
{
    if (fp->_flags & F_NO_WRITES) /* fails before formatting: EBADF */
        return flag < 0 ? gp__real.vfprintf(fp, fmt, ap) : gp__real.__vfprintf_chk(fp, flag, fmt, ap);
    char small[SMALL_TEXT], *text;
    int n = format(&text, small, sizeof small, flag, fmt, ap);
    /* A cancellation acted on in the write frees a text on the heap too. */
    struct _pthread_cleanup_buffer heap;
    if (text != small)
        gp__cancel_push_old(&heap, free, text);
    if (n >= 0) {
        struct _pthread_cleanup_buffer hold;
        take(fp, &hold);
        orient(fp);
        if (xsputn(fp, text, (size_t)n) != (size_t)n)
            n = -1;
        give(&hold);
    }
    if (text != small)
        gp__cancel_pop_old(&heap, 1);
    return n;
}

/* vdprintf, __vdprintf_chk: glibc formats into a stream on the fd and flushes it. */
int gp__stream_vdprintf(int fd, int flag, const char *fmt, va_list ap)
{
    char small[SMALL_TEXT], *text;
    int n = format(&text, small, sizeof small, flag, fmt, ap);
    for (size_t done = 0; n >= 0 && done < (size_t)n;) {
        struct iovec iov = {.iov_base = text + done, .iov_len = (size_t)n - done};
        ssize_t r = KEEP_ERRNO(gp__io_writev(fd, &iov, 1));
        if (r < 0) {
            errno = (int)-r;
            n = -1;
        } else {
            done += (size_t)r;
        }
    }
    if (text != small)
        free(text);
    return n;
}

/* _IO_new_fclose: a writing stream is flushed (cooperatively here), then closed; a failed
 * flush makes the result EOF. glibc frees the FILE, so its lock is given back first; the
 * green lock, keyed by the address, still keeps the other green threads out until then. */
int gp__stream_fclose(FILE *fp)
{
    struct _pthread_cleanup_buffer hold;
    take(fp, &hold);
    int flushed = 0;
    if (!(fp->_flags & F_NO_WRITES) && (fp->_flags & F_CURRENTLY_PUTTING))
        flushed = flush_buffer(fp);
    /* A cancellation acted on in that flush leaves the stream open, as glibc's does. From
     * here on the call is no cancellation point (glibc's pclose waits for the child with
     * cancellation disabled), and gives the locks back itself. */
    gp__cancel_pop_old(&hold, 0);
    gp__hub_fd_closing(fp->_fileno);
    gp__process_popen_closing(fp); /* a popen stream: its child ends first */
    if (!(fp->_flags & _IO_USER_LOCK))
        gp__real.funlockfile(fp);
    int r = gp__real.fclose(fp);
    gp__filelock_release(fp);
    return r != 0 ? r : flushed;
}

/* ---- flockfile ---- */

void gp__stream_lock(FILE *fp)
{
    gp__filelock_acquire(fp);
    gp__real.flockfile(fp);
}

int gp__stream_trylock(FILE *fp)
{
    if (!gp__filelock_try(fp))
        return 1;
    int r = gp__real.ftrylockfile(fp); /* an OS thread the scheduler does not run holds it */
    if (r != 0)
        gp__filelock_release(fp);
    return r;
}

void gp__stream_unlock(FILE *fp)
{
    gp__real.funlockfile(fp);
    gp__filelock_release(fp);
}
