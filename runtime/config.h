/* Settings: GREENPATCH_* environment variables, read once before main. A malformed value
 * is reported on one line of stderr and the process exits with status 2: a silent default
 * would hide the mistake. */
#ifndef GP_CONFIG_H
#define GP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* GREENPATCH_FILE_IO: where reads, writes and syncs of files on a disk run (see io.h). */
enum gp_file_io {
    GP_FILE_IO_AUTO,   /* page-cache hits inline, what would wait for the disk in the pool */
    GP_FILE_IO_INLINE, /* always on the caller's thread: a slow disk stalls every green thread */
    GP_FILE_IO_POOL,   /* always in the pool, even what the page cache holds */
};

/* GREENPATCH_TLS: whether green threads have thread-local variables of their own (tls.h). */
enum gp_tls_mode {
    GP_TLS_COPY,   /* each its own: the live blocks are copied at switches between threads */
    GP_TLS_SHARED, /* all share the OS thread's: the fastest switch */
};

/* GREENPATCH_LOG: how much of what the shim decides is told (log.h). */
enum gp_log_level {
    GP_LOG_WARN,  /* problems only: the one-line reports of every setting */
    GP_LOG_INFO,  /* and decisions made once or rarely: scheduler, pool, TLS modules, fork */
    GP_LOG_DEBUG, /* and decisions made per call: pool jobs, file I/O modes, signals routed */
};

struct gp_config {
    size_t stack_size; /* GREENPATCH_STACK_SIZE; default: native_stack_size */
    size_t native_stack_size; /* what glibc gives a new pthread (the RLIMIT_STACK size) */
    size_t guard_size; /* glibc's default guard size for pthreads (one page) */
    bool disabled;     /* GREENPATCH_DISABLE=1: every call passes straight to libc */
    bool no_inherit;   /* GREENPATCH_NO_INHERIT=1: the programs this one execs run without
                        * the shim (inherit.h) */
    unsigned pool_size; /* GREENPATCH_POOL_SIZE: most worker threads at once (pool.h) */
    enum gp_file_io file_io; /* GREENPATCH_FILE_IO=auto|inline|pool; default auto */
    enum gp_tls_mode tls;    /* GREENPATCH_TLS=copy|shared; default copy */
    unsigned block_warn_ms; /* GREENPATCH_BLOCK_WARN_MS: report a green thread that keeps the
                             * OS thread this long while others wait (watchdog.h); 0: off */
    int dump_signal;        /* GREENPATCH_DUMP_SIGNAL: the thread dump's signal (inspect.h);
                             * 0: off */
    bool stats;             /* GREENPATCH_STATS=1: a summary at exit (stats.h) */
    enum gp_log_level log_level; /* GREENPATCH_LOG=warn|info|debug; default warn */
    const char *log_file;   /* GREENPATCH_LOG_FILE: where info and debug lines go; NULL:
                             * stderr (log.h) */
};

extern struct gp_config gp__config;

/* Reads the environment into gp__config; on a bad value prints and exits with status 2. */
void gp__config_load(void);

/* Parses a size: digits with an optional k, m or g suffix (powers of 1024). Returns false
 * when text is not such a size. Exposed for the unit tests. */
bool gp__config_parse_size(const char *text, size_t *out);

#endif
