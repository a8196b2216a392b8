/* Child processes: waiting for them without stalling the other green threads, and the libc
 * calls that wait for one inside glibc (system, pclose), where no interposer sees the wait.
 *
 * A wait is made of the program's own call with WNOHANG added, repeated until it reports
 * something: the kernel alone decides what the call returns (status, rusage, siginfo,
 * ECHILD, the child a process group wait picks), the shim only decides when to ask again.
 * process.c says how it learns that asking again is worth it.
 *
 * All functions return a value >= 0 or a negative errno, unless they say otherwise. */
#ifndef GP_PROCESS_H
#define GP_PROCESS_H

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

/* wait4(2) for a green thread: the pid it reports (0 with WNOHANG when there is nothing to
 * report yet: the call then yields before it returns, as after every "not yet"). */
pid_t gp__process_wait4(pid_t pid, int *status, int options, struct rusage *usage);
/* waitid(2) for a green thread, the same: 0. */
int gp__process_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options);

/* system(3) for a green thread, as glibc's (sysdeps/posix/system.c): /bin/sh -c command,
 * started with posix_spawn, SIGINT and SIGQUIT ignored by the process while any such call
 * runs. Returns what system returns and stores in *error the errno system sets (0: errno
 * stays as it was): -1 when the wait fails, the status of _exit(127) when the shell cannot
 * be started. A cancellation request that ends the wait kills the shell and reaps it, as
 * glibc's cleanup handler does: -1 and EINTR then. */
int gp__process_system(const char *command, int *error);

/* popen streams. glibc's fclose of a popen stream, which is what pclose is
 * (_IO_new_proc_close), closes the pipe and then waits for the child in an internal
 * waitpid. gp__process_popen_opened learns from a stream that popen returned how glibc
 * marks such streams. gp__process_popen_closing, called by the cooperative fclose
 * (streams.h) once the stream's buffered output is written, does first what that close
 * does, cooperatively: it puts a placeholder in place of the pipe, so that the child sees
 * the end of its input, and waits until the child has ended, without reaping it. glibc's
 * close then closes the placeholder and collects the status at once. It leaves other
 * streams alone, and when it cannot work (no fd for the placeholder) the close waits in
 * glibc. */
void gp__process_popen_opened(FILE *stream);
void gp__process_popen_closing(FILE *stream);

#endif
