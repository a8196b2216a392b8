/* See inherit.h. */
#include "inherit.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether an LD_PRELOAD entry of len bytes names the file self (this library as the dynamic
 * loader recorded it, a path). ld.so(8): an entry with a slash is a path (compared by
 * device and inode, so that ./build/x.so and /abs/build/x.so match); one without is looked
 * up in the library search path (compared with self's file name). An entry that reaches
 * the library through $LIB or $PLATFORM is not recognised and stays. */
static bool names_self(const char *entry, size_t len, const char *self, const struct stat *st)
{
    char path[4096];
    if (len == 0 || len >= sizeof path)
        return false;
    memcpy(path, entry, len);
    path[len] = 0;
    if (!memchr(path, '/', len)) {
        const char *base = strrchr(self, '/');
        return strcmp(path, base ? base + 1 : self) == 0;
    }
    struct stat est;
    return stat(path, &est) == 0 && est.st_dev == st->st_dev && est.st_ino == st->st_ino;
}

void gp__inherit_stop(void)
{
    /* The setting concerns this process's children only: a program further down that is
     * put under the shim again (a nested greenpatch) inherits by default. */
    unsetenv("GREENPATCH_NO_INHERIT");
    Dl_info info;
    struct stat st;
    char *list = getenv("LD_PRELOAD");
    if (!list || !dladdr((void *)gp__inherit_stop, &info) || !info.dli_fname ||
        stat(info.dli_fname, &st) != 0)
        return;
    /* The list is edited where it is, in the environment's own string: the result is never
     * longer, and no allocation happens before main (the program's malloc may not be ready
     * for it). Entries are separated by colons or spaces (ld.so(8)); the ones kept are
     * joined with colons. */
    char *out = list;
    for (char *p = list; *p;) {
        size_t len = strcspn(p, ": ");
        if (len && !names_self(p, len, info.dli_fname, &st)) {
            if (out != list)
                *out++ = ':';
            memmove(out, p, len);
            out += len;
        }
        p += len;
        p += strspn(p, ": ");
    }
    *out = 0;
    if (out == list)
        unsetenv("LD_PRELOAD");
}
