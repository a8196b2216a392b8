/* See diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

void gp__diag(const char *fmt, ...)
{
    char line[1024] = "greenpatch: ";
    size_t n = 12;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    n += (size_t)len < sizeof line - n - 1 ? (size_t)len : sizeof line - n - 2;
    line[n++] = '\n';
    for (size_t off = 0; off < n;) {
        long w = syscall(SYS_write, 2, line + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}
