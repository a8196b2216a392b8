/* Cooperative stdio: glibc's stream functions on FILEs over sockets, pipes, FIFOs and
 * terminals, done so that a wait for data or for room lets the other green threads run.
 *
 * glibc reads and writes a FILE through its internal read and write, which no interposer
 * sees. These functions do what the glibc 2.36 functions do (libio/fileops.c, genops.c,
 * iofgets.c, iogetdelim.c, iofread.c, iofwrite.c, ioputs.c, iofflush.c), on the FILE's
 * public fields (struct _IO_FILE, <bits/types/struct_FILE.h>) and glibc's exported libio
 * helpers, with two differences:
 *  - input: glibc's own refill (__uflow, __underflow) is called only once the fd is
 *    readable, so its one read() does not block; the hub waits for that. A read that is
 *    big enough to bypass the buffer goes straight through the runtime's read (io.h).
 *  - output: whatever glibc would write (a full buffer, a line of a line-buffered stream,
 *    an unbuffered stream, a flush) is written by the runtime's write (io.h), which waits
 *    on the hub for room, and the FILE's pointers are left as glibc's flush leaves them,
 *    error or not (glibc drops the buffered bytes when a write fails).
 * The buffer pointers, the error and end-of-file flags, _offset and errno end up as the
 * glibc function leaves them, so ungetc, feof, ferror, ftell and the next call see the
 * same stream. Calls that need no read or write (the data is already buffered, or fits)
 * go to the real function instead (the shim asks gp__stream_plain_*).
 *
 * printf: formatted first (vsnprintf, __vsnprintf_chk for the fortified names), then
 * written as one piece. scanf: the real vfscanf reads through a stand-in stream
 * (fopencookie) that hands it the FILE's buffered bytes and refills the FILE
 * cooperatively; what vfscanf did not use goes back into the FILE.
 *
 * Locked calls hold the FILE's green lock (filelock.h) and glibc's lock for the whole
 * call; *_unlocked calls take neither, as in glibc.
 *
 * Cancellation: the calls are cancellation points where glibc's are, at the reads and
 * writes they make (a call served from the buffer is none); a cancellation acted on there
 * gives the call's locks back and leaves the FILE as glibc's cancelled call leaves it
 * (streams.c).
 *
 * errno: unlike the rest of the runtime, these functions leave errno as the glibc
 * function would, because the stdio results (EOF, NULL, a short count) carry no error
 * code: glibc's own functions that they call set it as natively, a failed wait or
 * transfer sets it where glibc's read or write would have failed, and every probe made
 * on the side (poll, fcntl, a non-blocking attempt) leaves it untouched.
 *
 * Only streams with a file descriptor and byte orientation (or none yet) are taken over
 * (gp__stream_managed); memory streams cannot block, and wide streams go to glibc. */
#ifndef GP_STREAMS_H
#define GP_STREAMS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

static inline bool gp__stream_managed(const FILE *fp) { return fp->_fileno >= 0 && fp->_mode <= 0; }

/* True when the real function can do the call as it is: fp is not managed, or no other
 * green thread holds it (locked calls only) and the call will not read or write: */
/* ... the buffer holds want bytes, or delim (-1: none) within them; */
bool gp__stream_plain_get(FILE *fp, bool locked, size_t want, int delim);
/* ... the n bytes at data fit in the buffer (glibc's fwrite/fputs rules); */
bool gp__stream_plain_put(FILE *fp, bool locked, const void *data, size_t n);
/* ... one byte fits (putc); */
bool gp__stream_plain_putc(FILE *fp, bool locked);
/* ... puts(s) fits in stdout's buffer; */
bool gp__stream_plain_puts(const char *s);
/* ... nothing waits in the buffer to be written (fflush). */
bool gp__stream_plain_flush(FILE *fp, bool locked);

/* What the functions of the same names return. chk_size: the buffer size of __fgets_chk
 * and __fread_chk, whose overflows end in __chk_fail; SIZE_MAX for the plain functions
 * (the compiler calls the fortified ones only when it knows the size). */
int gp__stream_getc(FILE *fp, bool locked);
int gp__stream_uflow(FILE *fp);
char *gp__stream_fgets(char *buf, int n, FILE *fp, bool locked, size_t chk_size);
ssize_t gp__stream_getdelim(char **line, size_t *n, int delim, FILE *fp);
size_t gp__stream_fread(void *buf, size_t size, size_t count, FILE *fp, bool locked,
                        size_t chk_size);
int gp__stream_getw(FILE *fp);
int gp__stream_vfscanf(FILE *fp, const char *fmt, va_list ap, bool isoc99);

int gp__stream_putc(int c, FILE *fp, bool locked);
int gp__stream_overflow(FILE *fp, int c);
int gp__stream_fputs(const char *s, FILE *fp, bool locked);
int gp__stream_puts(const char *s);
size_t gp__stream_fwrite(const void *buf, size_t size, size_t count, FILE *fp, bool locked);
int gp__stream_putw(int w, FILE *fp);
/* fp NULL: every stream, as fflush(NULL). */
int gp__stream_fflush(FILE *fp, bool locked);
/* flag: the fortify level of the __*printf_chk names, or -1 for the plain names. */
int gp__stream_vfprintf(FILE *fp, int flag, const char *fmt, va_list ap);
int gp__stream_vdprintf(int fd, int flag, const char *fmt, va_list ap);
/* Writes what is buffered cooperatively, wakes the green threads waiting on the fd, then
 * lets glibc close the stream. */
int gp__stream_fclose(FILE *fp);

/* flockfile, ftrylockfile (0 or nonzero, as glibc) and funlockfile of a green thread:
 * the green lock and glibc's. */
void gp__stream_lock(FILE *fp);
int gp__stream_trylock(FILE *fp);
void gp__stream_unlock(FILE *fp);

#endif
