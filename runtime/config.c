/* See config.h. */
#include "config.h"

#include "diag.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MIN_STACK = 16 * 1024 };
/* eventlet's tpool starts 20 threads by default (EVENTLET_THREADPOOL_SIZE): the same here. */
enum { DEFAULT_POOL_SIZE = 20, MAX_POOL_SIZE = 1024 };
/* A day: a longer threshold is surely a typo (and keeps the watchdog's arithmetic small). */
enum { MAX_BLOCK_WARN_MS = 86400000 };
#define MAX_STACK ((size_t)1 << 30)

struct gp_config gp__config;

bool gp__config_parse_size(const char *text, size_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)v << shift;
    return true;
}

static _Noreturn void bad_setting(const char *name, const char *value, const char *expected)
{
    /* One line, then status 2, before main runs (stdio may not be usable yet). */
    gp__diag("%s=\"%s\" is not valid: %s", name, value, expected);
    _exit(2);
}

static void load_stack_size(void)
{
    /* The default is what a native pthread gets, so that a program's deep recursion
     * behaves as natively; stacks are mapped lazily, so only touched pages cost memory. */
    pthread_attr_t attr;
    size_t native = 8u << 20, guard = (size_t)sysconf(_SC_PAGESIZE);
    if (pthread_getattr_default_np(&attr) == 0) {
        pthread_attr_getstacksize(&attr, &native);
        pthread_attr_getguardsize(&attr, &guard);
        pthread_attr_destroy(&attr);
    }
    gp__config.native_stack_size = gp__config.stack_size = native;
    gp__config.guard_size = guard;
    const char *v = getenv("GREENPATCH_STACK_SIZE");
    if (!v)
        return;
    size_t size;
    if (!gp__config_parse_size(v, &size) || size < MIN_STACK || size > MAX_STACK)
        bad_setting("GREENPATCH_STACK_SIZE", v,
                    "give bytes, or a number with a k, m or g suffix, from 16k to 1g");
    gp__config.stack_size = size;
}

/* A setting that is 0 or 1; false when unset. */
static bool load_flag(const char *name, const char *expected)
{
    const char *v = getenv(name);
    if (!v)
        return false;
    if (strcmp(v, "0") && strcmp(v, "1"))
        bad_setting(name, v, expected);
    return v[0] == '1';
}

/* A whole number from min to max (digits only), or bad_setting with expected. */
static unsigned parse_count(const char *name, const char *v, unsigned long min,
                            unsigned long max, const char *expected)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n < min || n > max)
        bad_setting(name, v, expected);
    return (unsigned)n;
}

static void load_pool_size(void)
{
    gp__config.pool_size = DEFAULT_POOL_SIZE;
    const char *v = getenv("GREENPATCH_POOL_SIZE");
    if (v)
        gp__config.pool_size = parse_count("GREENPATCH_POOL_SIZE", v, 1, MAX_POOL_SIZE,
                                           "give a number of worker threads from 1 to 1024");
}

static void load_block_warn(void)
{
    const char *v = getenv("GREENPATCH_BLOCK_WARN_MS");
    if (v)
        gp__config.block_warn_ms =
            parse_count("GREENPATCH_BLOCK_WARN_MS", v, 1, MAX_BLOCK_WARN_MS,
                        "give milliseconds from 1 to 86400000 (a day)");
}

#define GP_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A setting that names one of count choices; returns its index, or dflt when unset. */
static unsigned load_choice(const char *name, const char *const *choices, unsigned count,
                            unsigned dflt, const char *expected)
{
    const char *v = getenv(name);
    if (!v)
        return dflt;
    for (unsigned i = 0; i < count; i++)
        if (strcmp(v, choices[i]) == 0)
            return i;
    bad_setting(name, v, expected);
}

static void load_file_io(void)
{
    static const char *const names[] = {
        [GP_FILE_IO_AUTO] = "auto", [GP_FILE_IO_INLINE] = "inline", [GP_FILE_IO_POOL] = "pool"};
    gp__config.file_io = (enum gp_file_io)load_choice("GREENPATCH_FILE_IO", names, GP_COUNT(names),
                                                      GP_FILE_IO_AUTO, "use auto, inline or pool");
}

static void load_tls(void)
{
    static const char *const names[] = {[GP_TLS_COPY] = "copy", [GP_TLS_SHARED] = "shared"};
    gp__config.tls = (enum gp_tls_mode)load_choice("GREENPATCH_TLS", names, GP_COUNT(names),
                                                   GP_TLS_COPY, "use copy or shared");
}

/* A signal by name (SIGUSR2 or USR2) or number. Not one the program cannot give to the
 * shim (SIGKILL, SIGSTOP) nor one the shim needs for itself (SIGSEGV: stack overflows,
 * guard.h). */
static void load_dump_signal(void)
{
    const char *v = getenv("GREENPATCH_DUMP_SIGNAL");
    if (!v)
        return;
    static const char expected[] = "give a signal name such as SIGUSR2, or its number, other "
                                   "than SIGKILL, SIGSTOP and SIGSEGV";
    int sig = 0;
    if (*v >= '0' && *v <= '9') {
        sig = (int)parse_count("GREENPATCH_DUMP_SIGNAL", v, 1, (unsigned long)SIGRTMAX, expected);
    } else {
        const char *name = strncmp(v, "SIG", 3) == 0 ? v + 3 : v;
        for (int s = 1; s < SIGRTMIN && !sig; s++) {
            const char *abbrev = sigabbrev_np(s);
            if (abbrev && strcmp(abbrev, name) == 0)
                sig = s;
        }
    }
    if (!sig || sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV)
        bad_setting("GREENPATCH_DUMP_SIGNAL", v, expected);
    gp__config.dump_signal = sig;
}

static void load_stats(void)
{
    const char *v = getenv("GREENPATCH_STATS");
    if (!v)
        return;
    if (strcmp(v, "0") && strcmp(v, "1"))
        bad_setting("GREENPATCH_STATS", v, "use 1 for a summary at exit, or 0");
    gp__config.stats = v[0] == '1';
}

static void load_log(void)
{
    static const char *const names[] = {
        [GP_LOG_WARN] = "warn", [GP_LOG_INFO] = "info", [GP_LOG_DEBUG] = "debug"};
    gp__config.log_level = (enum gp_log_level)load_choice("GREENPATCH_LOG", names, GP_COUNT(names),
                                                          GP_LOG_WARN, "use warn, info or debug");
    const char *v = getenv("GREENPATCH_LOG_FILE");
    if (v && !*v)
        bad_setting("GREENPATCH_LOG_FILE", v, "give the path of a file to append to");
    gp__config.log_file = v;
}

void gp__config_load(void)
{
    gp__config.disabled =
        load_flag("GREENPATCH_DISABLE", "use 1 to pass every call to libc, or 0");
    gp__config.no_inherit = load_flag(
        "GREENPATCH_NO_INHERIT", "use 1 to keep the shim out of the programs this one runs, or 0");
    load_stack_size();
    load_pool_size();
    load_file_io();
    load_tls();
    load_block_warn();
    load_dump_signal();
    load_stats();
    load_log();
}
