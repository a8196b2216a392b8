/* popen and pclose while other threads run. The commands wait for a line that the ticker
 * thread (coop.h) writes to fd 7, so that under the shim a call returns at all only if it
 * let the ticker run.
 *  1. "r": the main thread reads the command's output with fgets while the command waits
 *     for the ticker; pclose returns its status.
 *  2. "w": buffered output is written out by pclose, the command sees the end of its
 *     input, then waits for the ticker; pclose waits for it and returns its status.
 *  3. A command that closed its input before pclose writes the buffered output: the write
 *     fails with EPIPE, and pclose returns -1 (status 0) or the status.
 *  4. Two streams open at once: the second command does not hold the first one's pipe, so
 *     the first pclose returns while the second command runs. A stream opened before any
 *     thread existed is closed with threads.
 *  5. fclose of a popen stream, which glibc allows: it is pclose, and returns the status. */
#include "proc_util.h"

#include <stdio_ext.h>

static struct coop_ticker ticker;
static int word; /* the write end of the pipe the commands read their line from, on fd 7 */

enum { WORD_FD = 7, CLOSED_FD = 8 };

static void say_word(void *arg)
{
    (void)arg;
    CHECK(write(word, "go\n", 3) == 3, "write");
}

/* A pipe whose read end is fd for the commands (moved there from at least 10, so that
 * nothing of the program's sits on it); returns the read end at 10 or above when keep_read
 * is set, else the write end. Both ends the program keeps are close-on-exec. */
static int fixed_pipe(int fd, bool keep_read)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    int r = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), w = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    CHECK(r >= 10 && w >= 10, "fcntl");
    close(fds[0]);
    close(fds[1]);
    if (keep_read) {
        CHECK(dup2(w, fd) == fd, "dup2");
        close(w);
        return r;
    }
    CHECK(dup2(r, fd) == fd, "dup2");
    close(r);
    return w;
}

/* ---- 1. reading ---- */

static void reading(void)
{
    FILE *f = popen("read x <&7; echo \"got $x\"; exit 5", "r");
    CHECK(f != NULL, "popen");
    coop_start(&ticker, "popen-read", say_word, NULL);
    char line[64] = "";
    char *got = fgets(line, sizeof line, f);
    line[strcspn(line, "\n")] = 0;
    printf("popen(\"r\"): fgets: \"%s\", ticks %d\n", got ? line : "(null)", coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    errno = ENOENT;
    int status = pclose(f);
    printf("pclose: %s, errno kept: %s\n", status_text(status), yes_no(errno == ENOENT));
}

/* ---- 2. writing ---- */

static void writing(void)
{
    FILE *f = popen("wc -c; read x <&7; exit 6", "w");
    CHECK(f != NULL, "popen");
    for (int i = 0; i < 1000; i++)
        fputs("0123456789", f);
    printf("popen(\"w\"): 10000 bytes given, %zu of them still buffered\n", __fpending(f));
    fflush(stdout); /* wc writes its count to the same stdout */
    coop_start(&ticker, "pclose-write", say_word, NULL);
    errno = ENOENT;
    int status = pclose(f);
    printf("pclose: %s, ticks %d, errno kept: %s\n", status_text(status), coop_ticks(&ticker),
           yes_no(errno == ENOENT));
    CHECK(coop_finish(&ticker), "ticker");
}

/* ---- 3. the buffered output cannot be written ---- */

static void output_refused(int code)
{
    int closed = fixed_pipe(CLOSED_FD, true);
    char command[128];
    snprintf(command, sizeof command, "exec 0<&-; echo >&8; read x <&7; exit %d", code);
    FILE *f = popen(command, "w");
    CHECK(f != NULL, "popen");
    close(CLOSED_FD);
    char c;
    CHECK(read(closed, &c, 1) == 1, "read"); /* the command has closed its input */
    close(closed);
    fputs("data", f);
    coop_start(&ticker, "pclose-epipe", say_word, NULL);
    errno = 0;
    int status = pclose(f);
    int err = errno;
    printf("pclose after the command closed its input, exit %d: %d (%s), errno %s\n", code,
           status, status < 0 ? "failed" : status_text(status), error_name(err));
    CHECK(coop_finish(&ticker), "ticker");
}

/* ---- 4. two streams ---- */

static void two_streams(FILE *early)
{
    FILE *second = popen("cat >/dev/null; exit 2", "w");
    CHECK(second != NULL, "popen");
    coop_start(&ticker, "two-streams", NULL, NULL);
    fputs("to the first", early);
    int status = pclose(early);
    printf("first pclose (opened before any thread) with the second open: %s\n",
           status_text(status));
    fputs("to the second", second);
    status = pclose(second);
    printf("second pclose: %s\n", status_text(status));
    CHECK(coop_finish(&ticker), "ticker");
}

/* ---- 5. fclose ---- */

static void closed_with_fclose(void)
{
    FILE *f = popen("cat >/dev/null; read x <&7; exit 7", "w");
    CHECK(f != NULL, "popen");
    fputs("data", f);
    coop_start(&ticker, "fclose", say_word, NULL);
    errno = ENOENT;
    /* What POSIX leaves undefined and GCC warns about, glibc does: it is pclose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"
    int status = fclose(f);
#pragma GCC diagnostic pop
    printf("fclose of a popen stream: %d (%s), ticks %d, errno kept: %s\n", status,
           status_text(status), coop_ticks(&ticker), yes_no(errno == ENOENT));
    CHECK(coop_finish(&ticker), "ticker");
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    signal(SIGPIPE, SIG_IGN);
    FILE *early = popen("cat >/dev/null; exit 1", "w");
    CHECK(early != NULL, "popen");
    word = fixed_pipe(WORD_FD, false);
    reading();
    writing();
    output_refused(0);
    output_refused(3);
    two_streams(early);
    closed_with_fclose();
    return 0;
}
