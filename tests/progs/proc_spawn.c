/* posix_spawn and vfork from a program with threads. Their children share the parent's
 * memory until they exec: nothing they run may touch the parent's threads.
 *  1. 20 threads call posix_spawn or posix_spawnp at once, each for a shell that exits
 *     with the thread's number, and wait for it.
 *  2. posix_spawn with file actions (dup2, close): the main thread reads the child's
 *     output from a pipe while the child waits for the ticker (coop.h).
 *  3. vfork: while a thread waits to read a pipe, the child closes that pipe's read end
 *     (its own copy), writes to another pipe, and execs; or it calls _exit. The waiting
 *     thread must be left alone: it reads the byte written later, not an error. */
#include "proc_util.h"

#include <spawn.h>

enum { SPAWNERS = 20 };

extern char **environ;

/* ---- 1. many at once ---- */

static void *spawn_and_wait(void *arg)
{
    int n = (int)(intptr_t)arg;
    char command[32];
    snprintf(command, sizeof command, "exit %d", n);
    char *argv[] = {"sh", "-c", command, NULL};
    usleep(1000); /* all the threads are started before the first spawns */
    pid_t pid;
    int err = n % 2 ? posix_spawnp(&pid, "sh", NULL, NULL, argv, environ)
                    : posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    if (err)
        return (void *)0;
    int status;
    pid_t r = waitpid(pid, &status, 0);
    return (void *)(intptr_t)(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == n);
}

static void many_at_once(void)
{
    pthread_t threads[SPAWNERS];
    for (int i = 0; i < SPAWNERS; i++)
        threads[i] = start_thread(NULL, spawn_and_wait, (void *)(intptr_t)(i + 1));
    report_os_threads("spawners");
    int right = 0;
    for (int i = 0; i < SPAWNERS; i++)
        right += (int)(intptr_t)join_or_die(threads[i]);
    printf("%d threads spawned a shell at once, each got its own status: %d\n", SPAWNERS, right);
}

/* ---- 2. file actions ---- */

static int word[2];

static void say_word(void *arg)
{
    (void)arg;
    CHECK(write(word[1], "go\n", 3) == 3, "write");
}

static void file_actions(void)
{
    int out[2];
    CHECK(pipe2(out, O_CLOEXEC) == 0 && pipe2(word, O_CLOEXEC) == 0, "pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, word[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, word[1]);
    char *argv[] = {"sh", "-c", "read x; echo \"spawned, read $x\"; exit 7", NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, "/bin/sh", &actions, NULL, argv, environ) == 0, "posix_spawn");
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(word[0]);
    struct coop_ticker ticker;
    coop_start(&ticker, "spawn-read", say_word, NULL);
    char buf[64];
    size_t len = 0;
    ssize_t n;
    while ((n = read(out[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    printf("posix_spawn with file actions: read \"%.*s\", ticks %d\n",
           (int)(len ? len - 1 : 0), buf, coop_ticks(&ticker));
    CHECK(coop_finish(&ticker), "ticker");
    int status;
    pid_t r = waitpid(pid, &status, 0);
    printf("  then waitpid: %s, %s\n", wait_result(r, pid, errno), status_text(status));
    close(out[0]);
    close(word[1]);
}

/* ---- 3. vfork ---- */

static int watched[2]; /* a thread waits to read watched[0] */

static void *read_watched(void *arg)
{
    (void)arg;
    char c;
    ssize_t n = read(watched[0], &c, 1);
    return (void *)(intptr_t)(n < 0 ? -errno : n);
}

static void vfork_child(bool exec)
{
    int note[2];
    CHECK(pipe2(watched, O_CLOEXEC) == 0 && pipe2(note, O_CLOEXEC) == 0, "pipe2");
    pthread_t reader = start_thread(NULL, read_watched, NULL);
    usleep(COOP_TICK_US); /* the reader waits */
    pid_t pid = vfork();
    if (pid == 0) {
        /* The child's own fd table: this close leaves the parent's pipe open. */
        close(watched[0]);
        if (write(note[1], "v", 1) != 1)
            _exit(100);
        if (exec)
            execl("/bin/sh", "sh", "-c", "exit 9", (char *)NULL);
        _exit(3);
    }
    CHECK(pid > 0, "vfork");
    int status;
    pid_t r = waitpid(pid, &status, 0);
    char c = 0;
    CHECK(read(note[0], &c, 1) == 1, "read");
    CHECK(write(watched[1], "w", 1) == 1, "write");
    long got = (long)(intptr_t)join_or_die(reader);
    printf("vfork, %s: %s, %s; the child wrote '%c'; the parent's reader read: %s\n",
           exec ? "exec" : "_exit", wait_result(r, pid, errno), status_text(status), c,
           got == 1 ? "its byte" : got < 0 ? error_name((int)-got) : "nothing");
    close(watched[0]);
    close(watched[1]);
    close(note[0]);
    close(note[1]);
}

int main(void)
{
    alarm(PROC_SAFETY_ALARM_S);
    many_at_once();
    file_actions();
    vfork_child(true);
    vfork_child(false);
    return 0;
}
