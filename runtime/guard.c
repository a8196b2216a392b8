/* See guard.h. */
#include "guard.h"

#include "config.h"
#include "diag.h"
#include "real.h"
#include "scheduler.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ALT_STACK_SIZE = 64 * 1024 };

static struct sigaction previous; /* the program's SIGSEGV action, which we chain to */
static bool installed;

/* Chains to whatever handled SIGSEGV before us. Returning from a SIGSEGV handler re-runs
 * the faulting instruction, so resetting to the default disposition and returning dies
 * exactly as the fault would have. */
static void chain(int sig, siginfo_t *info, void *uctx)
{
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uctx);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        gp__real.sigaction(SIGSEGV, &dfl, NULL);
        installed = false;
    }
}

static void report_overflow(const struct gp_thread *t)
{
    /* dladdr is not async-signal-safe in theory; the process is about to die and a fault
     * in a guard page comes from the program's own deep call chain, not the loader. */
    Dl_info info;
    char where[320] = "?";
    const char *fn = where;
    if (t->is_main) {
        fn = "main";
    } else if (t->start && dladdr((void *)t->start, &info)) {
        if (info.dli_sname) {
            fn = info.dli_sname;
        } else if (info.dli_fname) {
            /* An executable exports no symbols unless linked with -rdynamic: give the
             * file and offset, for addr2line. */
            const char *base = strrchr(info.dli_fname, '/');
            snprintf(where, sizeof where, "start routine at %s+%#lx",
                     base ? base + 1 : info.dli_fname,
                     (unsigned long)((char *)t->start - (char *)info.dli_fbase));
        }
    }
    gp__diag("stack overflow in green thread %llu (%s): its stack is %zu KiB; raise "
             "GREENPATCH_STACK_SIZE (now %zu KiB) or the size the program gives "
             "pthread_attr_setstacksize",
             (unsigned long long)t->id, fn, t->fiber.stack.size / 1024,
             gp__config.stack_size / 1024);
}

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
    const struct gp_thread *t = gp__current;
    if (t && gp__fiber_stack_guard_hit(&t->fiber.stack, info->si_addr)) {
        report_overflow(t);
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        gp__real.sigaction(SIGSEGV, &dfl, NULL);
        installed = false;
        return;
    }
    chain(sig, info, uctx);
}

void gp__guard_install(void)
{
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
        /* The program has no alternate stack of its own: give this thread one, or the
         * handler would have no stack to run on after an overflow. */
        stack_t ss = {.ss_sp = malloc(ALT_STACK_SIZE), .ss_size = ALT_STACK_SIZE};
        if (ss.ss_sp)
            sigaltstack(&ss, NULL);
    }
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    gp__real.sigaction(SIGSEGV, &sa, &previous);
    installed = true;
}

bool gp__guard_action(const struct sigaction *act, struct sigaction *old)
{
    if (!installed)
        return false;
    struct sigaction was = previous;
    if (act)
        previous = *act;
    if (old)
        *old = was;
    return true;
}
