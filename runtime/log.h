/* GREENPATCH_LOG=warn|info|debug: what the shim decided and why (the scheduler started, the
 * pool grew, a call went to the pool, a file call's I/O mode, the thread-local storage
 * modules found, a signal routed, a fork child), one line each, on stderr or, with
 * GREENPATCH_LOG_FILE=path, appended to that file. warn, the default, is what the shim has
 * always said: its one-line reports of problems (diag.h), which stay on stderr whatever
 * the level.
 *
 * Cost: at a level that drops a line, one load and a branch (gp__log is a macro that
 * evaluates nothing else); lines are formatted and written only at a level that keeps
 * them. */
#ifndef GP_LOG_H
#define GP_LOG_H

#include "config.h"

#define gp__log(level, ...)                                                                   \
    do {                                                                                      \
        if (__builtin_expect(gp__config.log_level >= (level), 0))                             \
            gp__log_write(level, __VA_ARGS__);                                                \
    } while (0)
#define gp__log_info(...) gp__log(GP_LOG_INFO, __VA_ARGS__)
#define gp__log_debug(...) gp__log(GP_LOG_DEBUG, __VA_ARGS__)

/* Writes one line "greenpatch: LEVEL: text" (no newline in fmt). */
__attribute__((format(printf, 2, 3))) void gp__log_write(enum gp_log_level level,
                                                         const char *fmt, ...);

/* Opens GREENPATCH_LOG_FILE, when set; called once the settings are read. A file that
 * cannot be opened is reported and the lines go to stderr. */
void gp__log_start(void);

#endif
