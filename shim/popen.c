/* pclose() lets the other green threads run while it waits for the child. glibc's pclose
 * is its fclose of the stream (_IO_new_pclose calls _IO_new_fclose): it writes out the
 * buffered output, closes the pipe and waits for the child in an internal waitpid. The
 * cooperative fclose (runtime/streams.h) does the same, and has the child end
 * cooperatively before glibc's close (runtime/process.h). popen itself does not wait: it
 * is interposed only to learn how glibc marks popen streams.
 * Interposes: popen, _IO_popen, pclose.
 * coverage cooperative: pclose */
#include "shim.h"

#include "process.h"
#include "streams.h"

#include <stdio.h>

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
    if (!gp_cooperative() || !gp__stream_managed(stream))
        return gp__real.pclose(stream);
    return gp__stream_fclose(stream);
}
