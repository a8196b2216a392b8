/* See backtrace.h. */
#include "backtrace.h"

#include "diag.h"
#include "real.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stddef.h>

/* One line per frame: function+offset and the module, as backtrace_symbols gives them, or
 * module+offset (for addr2line -e) where the module exports no name for it: an executable
 * not linked with -rdynamic, a static function. A return address is looked up one byte
 * back: the call may be a function's last instruction. */
static void write_frame(int n, uintptr_t addr, bool is_return)
{
    Dl_info info;
    uintptr_t look = is_return ? addr - 1 : addr;
    if (!dladdr((void *)look, &info) || !info.dli_fname) {
        gp__diag("  #%d %#lx", n, (unsigned long)addr);
        return;
    }
    if (info.dli_sname && info.dli_saddr)
        gp__diag("  #%d %s+%#lx in %s", n, info.dli_sname,
                 (unsigned long)(addr - (uintptr_t)info.dli_saddr), info.dli_fname);
    else
        gp__diag("  #%d %s+%#lx", n, info.dli_fname,
                 (unsigned long)(addr - (uintptr_t)info.dli_fbase));
}

const char *gp__backtrace_name(const void *addr)
{
    Dl_info info;
    return dladdr(addr, &info) && info.dli_sname && info.dli_saddr == addr ? info.dli_sname
                                                                            : NULL;
}

bool gp__backtrace_in_shim(uintptr_t addr)
{
    Dl_info mine, info;
    return dladdr((void *)gp__backtrace_in_shim, &mine) && dladdr((void *)(addr - 1), &info) &&
           info.dli_fbase == mine.dli_fbase;
}

void gp__backtrace_write(void *const *frames, int n, int first, bool first_is_pc)
{
    int end = n;
    while (end > first + 1 && gp__backtrace_in_shim((uintptr_t)frames[end - 1]))
        end--;
    for (int i = first; i < end; i++)
        write_frame(i - first, (uintptr_t)frames[i], !(first_is_pc && i == first));
}

void gp__backtrace_write_interrupted(void *const *frames, int n, uintptr_t pc)
{
    int first = 0;
    while (first < n && (uintptr_t)frames[first] != pc)
        first++;
    gp__backtrace_write(frames, n, first == n ? 0 : first, true);
}

int gp__backtrace_install_handler(int sig, void (*handler)(int, siginfo_t *, void *))
{
    void *warm[1];
    backtrace(warm, 1);
    struct sigaction a = {.sa_sigaction = handler,
                          .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};
    sigfillset(&a.sa_mask);
    return gp__real.sigaction(sig, &a, NULL);
}
