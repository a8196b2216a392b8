/* See log.h. */
#include "log.h"

#include "diag.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The log file's descriptor, or -1 for stderr. It is opened close-on-exec: a program the
 * process execs reads the setting again and opens the file itself. */
static int log_fd = -1;

void gp__log_start(void)
{
    if (gp__config.log_level == GP_LOG_WARN || !gp__config.log_file)
        return;
    log_fd = gp__real.open(gp__config.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0)
        gp__diag("GREENPATCH_LOG_FILE=\"%s\": cannot open it (%s): logging to stderr",
                 gp__config.log_file, strerror(errno));
}

void gp__log_write(enum gp_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {
        [GP_LOG_WARN] = "warn", [GP_LOG_INFO] = "info", [GP_LOG_DEBUG] = "debug"};
    int saved_errno = errno;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (len >= 0 && log_fd < 0) {
        gp__diag("%s: %s", names[level], text);
    } else if (len >= 0) {
        char line[1100];
        int n = snprintf(line, sizeof line, "greenpatch[%d]: %s: %s\n", (int)getpid(),
                         names[level], text);
        /* One write of one line to a file opened for appending: lines of several processes
         * (a fork child, a program it execs) never interleave within a line. */
        if (n > 0)
            gp__real.write(log_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    errno = saved_errno;
}
