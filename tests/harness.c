/* See harness.h. Plain POSIX process handling; no Criterion calls except to report a
 * harness failure, so that every test file can use it. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_assert_fail("%s is not set: run the tests through `make test`", name);
    return v;
}

static const char *joined_path(const char *dir_var, const char *name)
{
    static __thread char buf[4][4096];
    static __thread int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", env_or_die(dir_var), name);
    return b;
}

const char *shim_library_path(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", env_or_die("GP_PRELOAD"));
    path[strcspn(path, ":")] = 0;
    return path;
}

const char *prog_path(const char *name) { return joined_path("GP_PROGS", name); }
const char *example_path(const char *name) { return joined_path("GP_EXAMPLES", name); }
const char *script_path(const char *name) { return joined_path("GP_SCRIPTS", name); }

bool sanitized_build(void)
{
    const char *v = getenv("GP_SANITIZED");
    return v && strcmp(v, "1") == 0;
}

/* Builds the child's environment: ours, minus any LD_PRELOAD, plus the shim in RUN_SHIM
 * mode, plus the caller's extra variables (which win). */
static char **child_env(const struct run_opts *o)
{
    size_t n = 0, extra = 0;
    while (environ[n])
        n++;
    while (o->env && o->env[extra])
        extra++;
    char **env = calloc(n + extra + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    if (o->mode == RUN_SHIM) {
        static __thread char preload[4200];
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", env_or_die("GP_PRELOAD"));
        env[k++] = preload;
    }
    for (size_t i = 0; i < extra; i++)
        env[k++] = (char *)o->env[i];
    env[k] = NULL;
    return env;
}

static char **child_argv(const char *path, const char *const *args)
{
    size_t n = 0;
    while (args && args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    argv[0] = (char *)path;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    return argv;
}

static pid_t spawn(const struct run_opts *o, const char *path, const char *const *args,
                   int *in_fd, int *out_fd, int *err_fd)
{
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        cr_assert_fail("pipe: %s", strerror(errno));
    char **env = child_env(o);
    char **argv = child_argv(path, args);
    pid_t pid = fork();
    if (pid < 0)
        cr_assert_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err_fd ? err[1] : 2, 2);
        execve(path, argv, env);
        dprintf(2, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    free(env);
    free(argv);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    *in_fd = in[1];
    *out_fd = out[0];
    if (err_fd)
        *err_fd = err[0];
    else
        close(err[0]);
    return pid;
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int decode_status(int status, struct run_result *r)
{
    if (WIFEXITED(status)) {
        if (r) {
            r->exit_code = WEXITSTATUS(status);
            r->term_signal = 0;
        }
        return WEXITSTATUS(status);
    }
    if (r) {
        r->exit_code = -1;
        r->term_signal = WTERMSIG(status);
    }
    return -1 - WTERMSIG(status);
}

void run_program(struct run_result *r, const struct run_opts *o, const char *path,
                 const char *const *args)
{
    memset(r, 0, sizeof *r);
    int in, out, err;
    pid_t pid = spawn(o, path, args, &in, &out, &err);
    signal(SIGPIPE, SIG_IGN);
    if (o->input) {
        /* Small inputs only: the pipe buffer holds them before the child reads. */
        size_t len = strlen(o->input), off = 0;
        while (off < len) {
            ssize_t w = write(in, o->input + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    close(in);
    size_t out_cap = 0, err_cap = 0;
    append(&r->out, &r->out_len, &out_cap, "", 0);
    append(&r->err, &r->err_len, &err_cap, "", 0);
    double deadline = now_s() + (o->timeout_s ? o->timeout_s : 120);
    struct pollfd p[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        double left = deadline - now_s();
        if (left <= 0) {
            r->timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (poll(p, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            cr_assert_fail("poll: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char buf[65536];
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                append(&r->out, &r->out_len, &out_cap, buf, (size_t)n);
            } else {
                append(&r->err, &r->err_len, &err_cap, buf, (size_t)n);
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    decode_status(status, r);
}

void run_result_free(struct run_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

pid_t start_program(const struct run_opts *o, const char *path, const char *const *args,
                    int *out_fd)
{
    int in;
    pid_t pid = spawn(o, path, args, &in, out_fd, NULL);
    close(in);
    return pid;
}

int finish_program(pid_t pid, int timeout_s)
{
    double deadline = now_s() + timeout_s;
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return decode_status(status, NULL);
        if (w < 0 && errno != EINTR)
            cr_assert_fail("waitpid: %s", strerror(errno));
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1 - SIGKILL;
        }
        usleep(10000);
    }
}

int os_thread_count(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* ---- helper programs run natively and under the shim (see harness.h) ---- */

int prog_timeout_s = PROG_TIMEOUT_S;

static const char *const report_os_threads_env[] = {"REPORT_OS_THREADS=1", NULL};

void run_in_mode(struct run_result *r, enum run_mode mode, const char *prog,
                        const char *const *args, const char *const *env, const char *input)
{
    struct run_opts opts = {.mode = mode, .env = env, .input = input, .timeout_s = prog_timeout_s};
    run_program(r, &opts, prog[0] == '/' ? prog : prog_path(prog), args);
}

void expect_finished(const struct run_result *r, const char *prog, const char *how)
{
    cr_expect(!r->timed_out, "%s %s: killed after %d s\nstdout:\n%s\nstderr:\n%s", prog, how,
              prog_timeout_s, r->out, r->err);
}

/* Runs prog under the shim only, with one GREENPATCH_* setting. */
void run_under_shim_with(struct run_result *r, const char *prog, const char *const *args,
                                const char *setting, const char *input)
{
    const char *const env[] = {"REPORT_OS_THREADS=1", setting, NULL};
    run_in_mode(r, RUN_SHIM, prog, args, env, input);
    expect_finished(r, prog, setting);
}

/* Runs prog natively and under the shim with the same arguments, environment and input, and
 * expects both to print expected_out and to end the same way: exit status expected_exit. */
void run_both_expect(struct run_pair *pair, const char *prog, const char *const *args,
                            const char *input, const char *expected_out, int expected_exit)
{
    run_in_mode(&pair->native, RUN_NATIVE, prog, args, report_os_threads_env, input);
    run_in_mode(&pair->shim, RUN_SHIM, prog, args, report_os_threads_env, input);
    expect_finished(&pair->native, prog, "natively");
    expect_finished(&pair->shim, prog, "under the shim");
    cr_expect_str_eq(pair->native.out, expected_out,
                     "%s natively printed something else than the test expects\nstderr:\n%s",
                     prog, pair->native.err);
    cr_expect_eq(pair->native.exit_code, expected_exit, "%s natively: exit %d, signal %d", prog,
                 pair->native.exit_code, pair->native.term_signal);
    cr_expect_str_eq(pair->shim.out, pair->native.out,
                     "%s: stdout under the shim differs from the native run\nstderr:\n%s", prog,
                     pair->shim.err);
    cr_expect_eq(pair->shim.exit_code, pair->native.exit_code,
                 "%s: exit %d (signal %d) under the shim, %d natively\nstderr:\n%s", prog,
                 pair->shim.exit_code, pair->shim.term_signal, pair->native.exit_code,
                 pair->shim.err);
    cr_expect_eq(pair->shim.term_signal, pair->native.term_signal,
                 "%s: signal %d under the shim, %d natively", prog, pair->shim.term_signal,
                 pair->native.term_signal);
}

void run_pair_free(struct run_pair *pair)
{
    run_result_free(&pair->native);
    run_result_free(&pair->shim);
}

/* The N of the "os-threads WHERE: N" line a helper wrote to stderr, or -1 without one. */
int reported_os_threads(const struct run_result *r, const char *where)
{
    char key[96];
    snprintf(key, sizeof key, "os-threads %s: ", where);
    const char *at = strstr(r->err, key);
    return at ? atoi(at + strlen(key)) : -1;
}

/* Under the shim every green thread runs on the one OS thread. Natively the count is
 * exactly native_expected when the program's synchronisation guarantees it, or SEVERAL. */
void expect_os_threads(const struct run_pair *pair, const char *prog, const char *where,
                              int native_expected)
{
    int native = reported_os_threads(&pair->native, where);
    int shim = reported_os_threads(&pair->shim, where);
    if (native_expected != SEVERAL)
        cr_expect_eq(native, native_expected, "%s natively at %s: %d OS threads, expected %d",
                     prog, where, native, native_expected);
    else
        cr_expect_gt(native, 1, "%s natively at %s: %d OS threads, expected several", prog,
                     where, native);
    cr_expect_eq(shim, 1, "%s under the shim at %s: %d OS threads, expected 1\nstderr:\n%s",
                 prog, where, shim, pair->shim.err);
}

void expect_os_threads_at(const struct run_pair *pair, const char *prog,
                          const char *const *where, int native_expected)
{
    for (; *where; where++)
        expect_os_threads(pair, prog, *where, native_expected);
}

void expect_linked_program(enum run_mode mode, const char *path, const char *const *env,
                           const char *want)
{
    if (mode == RUN_NATIVE && sanitized_build())
        cr_skip_test("the ASan library is run through the preload list only");
    struct run_result r;
    run_in_mode(&r, mode, path, NULL, env, NULL);
    const char *how = mode == RUN_SHIM ? "under the preload" : "linked";
    expect_finished(&r, path, how);
    cr_expect_eq(r.exit_code, 0, "%s %s: exit %d (signal %d)\n%s", path, how, r.exit_code,
                 r.term_signal, r.err);
    cr_expect_str_eq(r.out, want, "%s %s: stderr:\n%s", path, how, r.err);
    run_result_free(&r);
}
