/* system() while other threads run.
 *  1. system("exit 3"), system(NULL), a shell killed by a signal; errno kept on success.
 *  2. A command that waits for a line the ticker thread (coop.h) writes to fd 7: under the
 *     shim system() returns at all only if it let the ticker run. While it runs, SIGINT and
 *     SIGQUIT are ignored by the process (the ticker looks); afterwards the program's own
 *     actions are back. The shell gets SIGINT and SIGQUIT at their defaults, except one
 *     the program ignored, which stays ignored (it reports its SigIgn mask).
 *  3. Two threads in system() at once: the signals stay ignored until the last one ends.
 *  4. SIGCHLD ignored: the shell is reaped by the kernel, system() fails with ECHILD. */
#include "proc_util.h"

static struct coop_ticker ticker;

enum { WORD_FD = 7, READY_FD = 8 };

/* fd, moved to 10 or above and close-on-exec: the fixed numbers below 10 stay free for
 * the ends the shells use (a shell's redirections name fds 0 to 9). */
static int above_fixed(int fd)
{
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    CHECK(moved >= 10, "fcntl");
    close(fd);
    return moved;
}

/* A pipe whose read end is fd for the shells; returns the write end, close-on-exec. */
static int word_pipe(int fd)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    int w = above_fixed(fds[1]), r = above_fixed(fds[0]);
    CHECK(dup2(r, fd) == fd, "dup2");
    close(r);
    return w;
}

static const char *action_name(int sig)
{
    struct sigaction sa;
    CHECK(sigaction(sig, NULL, &sa) == 0, "sigaction");
    return sa.sa_handler == SIG_IGN ? "SIG_IGN" : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler";
}

static void on_signal(int sig) { (void)sig; }

static int run(const char *command)
{
    fflush(stdout); /* the shell writes to the same stdout */
    return system(command);
}

/* ---- 1. plain calls ---- */

static void plain(void)
{
    coop_start(&ticker, "plain", NULL, NULL); /* another thread exists */
    errno = ENOENT;
    int r = run("exit 3");
    printf("system(\"exit 3\"): %d (%s), errno kept: %s\n", r, status_text(r),
           yes_no(errno == ENOENT));
    r = run(NULL);
    printf("system(NULL): %d\n", r);
    r = run("kill -TERM $$");
    printf("system(\"kill -TERM $$\"): %s\n", status_text(r));
    r = run("echo the shell writes to stdout");
    printf("system(\"echo ...\"): %s\n", status_text(r));
    CHECK(coop_finish(&ticker), "ticker");
}

/* ---- 2. a command that waits for the ticker ---- */

static int word;

static void look_then_say_word(void *arg)
{
    (void)arg;
    printf("while system() runs: SIGINT %s, SIGQUIT %s\n", action_name(SIGINT),
           action_name(SIGQUIT));
    fflush(stdout); /* before the shell's line */
    CHECK(write(word, "go\n", 3) == 3, "write");
}

/* The shell reads the ticker's line, then says which of SIGINT and SIGQUIT it ignores. */
static const char waits_for_word[] =
    "read x <&7; m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
    "echo \"shell: read $x, ignores SIGINT: $(( (0x$m >> 1) & 1 )), "
    "SIGQUIT: $(( (0x$m >> 2) & 1 ))\"; exit 4";

static void waits_for_the_ticker(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGINT, &sa, NULL) == 0, "sigaction");
    word = word_pipe(WORD_FD);
    coop_start(&ticker, "system", look_then_say_word, NULL);
    errno = 0;
    int r = run(waits_for_word);
    printf("system(read; exit 4): %s, ticks %d, errno %s\n", status_text(r),
           coop_ticks(&ticker), error_name(errno));
    CHECK(coop_finish(&ticker), "ticker");
    printf("after system(): SIGINT %s, SIGQUIT %s\n", action_name(SIGINT), action_name(SIGQUIT));

    /* SIGQUIT ignored by the program stays ignored in the shell. */
    signal(SIGQUIT, SIG_IGN);
    coop_start(&ticker, "system-quit-ignored", look_then_say_word, NULL);
    r = run(waits_for_word);
    printf("system(read; exit 4), SIGQUIT ignored: %s\n", status_text(r));
    CHECK(coop_finish(&ticker), "ticker");
    printf("after system(): SIGINT %s, SIGQUIT %s\n", action_name(SIGINT), action_name(SIGQUIT));
    signal(SIGQUIT, SIG_DFL);
    close(word);
}

/* ---- 3. two at once ---- */

static void *run_command(void *command) { return (void *)(intptr_t)run(command); }

static void two_at_once(void)
{
    int first = word_pipe(WORD_FD), second = word_pipe(WORD_FD + 2);
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe");
    ready[0] = above_fixed(ready[0]);
    ready[1] = above_fixed(ready[1]);
    CHECK(dup2(ready[1], READY_FD) == READY_FD, "dup2");
    close(ready[1]);
    pthread_t a = start_thread(NULL, run_command, "echo >&8; read x <&7; exit 1");
    pthread_t b = start_thread(NULL, run_command, "echo >&8; read x <&9; exit 2");
    char c;
    for (int i = 0; i < 2; i++)
        CHECK(read(ready[0], &c, 1) == 1, "read");
    printf("two shells running: SIGINT %s\n", action_name(SIGINT));
    CHECK(write(first, "go\n", 3) == 3, "write");
    printf("first system(): %s\n", status_text((int)(intptr_t)join_or_die(a)));
    printf("one shell running: SIGINT %s\n", action_name(SIGINT));
    CHECK(write(second, "go\n", 3) == 3, "write");
    printf("second system(): %s\n", status_text((int)(intptr_t)join_or_die(b)));
    printf("none running: SIGINT %s\n", action_name(SIGINT));
    close(first);
    close(second);
    close(ready[0]);
    close(READY_FD);
}

/* ---- 4. SIGCHLD ignored ---- */

static void sigchld_ignored(void)
{
    signal(SIGCHLD, SIG_IGN);
    coop_start(&ticker, "sigchld-ignored", NULL, NULL);
    int r = run("exit 2");
    printf("system(\"exit 2\") with SIGCHLD ignored: %d %s\n", r, error_name(r < 0 ? errno : 0));
    CHECK(coop_finish(&ticker), "ticker");
    signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    plain();
    waits_for_the_ticker();
    two_at_once();
    sigchld_ignored();
    return 0;
}
