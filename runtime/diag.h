/* One-line reports on stderr ("greenpatch: ..."), the shim's only way of speaking. They are
 * written with system calls directly: never through the interposed write (which could park
 * the caller, even inside a signal handler), usable before the real-symbol table exists,
 * and never blocking for long on a stderr that nobody reads. */
#ifndef GP_DIAG_H
#define GP_DIAG_H

__attribute__((format(printf, 1, 2))) void gp__diag(const char *fmt, ...);

#endif
