/* pclose() lets the other green threads run while it waits for the child. glibc's pclose
 * (fclose of a popen stream) closes the pipe and then waits in an internal waitpid; here
 * the pipe is swapped for a placeholder and the child waited for cooperatively first, so
 * that the real pclose, which keeps glibc's list of popen streams and frees the stream,
 * finds the child ended and returns at once (runtime/process.h). popen itself does not
 * wait: it is interposed only to learn how glibc marks popen streams.
 * Interposes: popen, _IO_popen, pclose.
 * coverage cooperative: pclose */
#include "shim.h"

#include "process.h"

#include <stdio.h>
#include <stdio_ext.h>

GP_EXPORT FILE *popen(const char *command, const char *mode)
{
    gp__init();
    FILE *stream = gp__real.popen(command, mode);
    if (stream)
        gp__process_popen_opened(stream);
    return stream;
}

GP_EXPORT FILE *_IO_popen(const char *command, const char *mode)
    __attribute__((alias("popen"), copy(popen)));

GP_EXPORT int pclose(FILE *stream)
{
    pid_t child;
    if (!gp_cooperative() || (child = gp__process_popen_child(stream)) < 0)
        return gp__real.pclose(stream);
    int saved = errno;
    /* pclose writes out the buffered output before it closes the pipe: so does this, with
     * the public fflush (cooperative where stdio is). A failed write leaves its errno, and
     * pclose returns -1 when the child's status would be 0 (glibc's _IO_file_close_it
     * returns the close's result, else the flush's). */
    int flush_error = __fpending(stream) > 0 && fflush(stream) != 0 ? errno : 0;
    /* When this fails (no fd for the placeholder), the real pclose waits by itself. */
    gp__process_popen_await(stream, child);
    errno = flush_error ? flush_error : saved;
    int status = gp__real.pclose(stream);
    return flush_error && status == 0 ? -1 : status;
}
