/* Debian's nginx under the shim: a master process that forks two workers, each running an
 * epoll loop, and in each worker a thread pool of 4 threads (thread_pool, aio threads) that
 * reads files and runs sendfile for the loop (nginx has no threads otherwise). The
 * configuration lives in a temp dir with everything nginx writes (pid, logs, temp paths);
 * the files served are of several sizes up to 1 MiB and a bit, with bytes computed by the
 * test. curl (native) fetches every file through two locations, one with sendfile (run in
 * the thread pool) and one with reads into buffers (pread in the thread pool), first one
 * by one and then 16 at once, and a missing file. The same runs natively and under the
 * shim: every body must be the file byte for byte, the statuses the same, nginx must end
 * the same way on SIGTERM and log no alert. Under the shim each nginx process (master and
 * both workers) has one OS thread besides the shim's pool workers: the thread pools are
 * green; natively each worker has 5. */
#include "compat.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { START_TIMEOUT_S = 15, STOP_TIMEOUT_S = 10, WORKERS = 2, POOL_THREADS = 4 };

static const struct {
    const char *name;
    size_t size;
} files[] = {
    {"empty.txt", 0},        {"one.txt", 1},           {"page.html", 4097},
    {"data.bin", 65536 + 7}, {"mebi.bin", 1 << 20},    {"big.bin", (1 << 20) + 4099},
};
enum { NFILES = sizeof files / sizeof files[0] };

static pid_t master = -1;
static char *dir;

static void cleanup(void)
{
    if (master > 0)
        compat_stop(master, STOP_TIMEOUT_S);
    master = -1;
    compat_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(nginx, .fini = cleanup, .timeout = 90);

static char *path_in(const char *fmt, const char *name)
{
    char *p;
    cr_assert(asprintf(&p, fmt, dir, name) > 0);
    return p;
}

static char *file_bytes(size_t i)
{
    char *b = malloc(files[i].size + 1);
    unsigned x = (unsigned)i * 2654435761u + 1;
    for (size_t k = 0; k < files[i].size; k++) {
        x = x * 1103515245u + 12345u;
        b[k] = (char)(x >> 16);
    }
    return b;
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* The files to serve and the configuration, for port. */
static void prepare(int port)
{
    char *www = path_in("%s/%s", "www");
    mkdir(www, 0755);
    chmod(dir, 0755); /* workers that are not root read the files too */
    for (size_t i = 0; i < NFILES; i++) {
        char *p = path_in("%s/www/%s", files[i].name), *b = file_bytes(i);
        write_file(p, b, files[i].size);
        free(p);
        free(b);
    }
    char conf[4096];
    snprintf(conf, sizeof conf,
             "daemon off;\n"
             "master_process on;\n"
             "worker_processes %d;\n"
             "%s"
             "pid %s/nginx.pid;\n"
             "error_log %s/error.log notice;\n"
             "thread_pool default threads=%d max_queue=1024;\n"
             "events { worker_connections 256; }\n"
             "http {\n"
             "  access_log %s/access.log;\n"
             "  client_body_temp_path %s/body;\n"
             "  proxy_temp_path %s/proxy;\n"
             "  fastcgi_temp_path %s/fastcgi;\n"
             "  uwsgi_temp_path %s/uwsgi;\n"
             "  scgi_temp_path %s/scgi;\n"
             "  default_type application/octet-stream;\n"
             "  aio threads;\n"
             "  server {\n"
             "    listen 127.0.0.1:%d;\n"
             "    root %s/www;\n"
             "    location / { sendfile on; }\n"
             "    location /read/ { alias %s/www/; sendfile off; output_buffers 2 64k; }\n"
             "  }\n"
             "}\n",
             WORKERS, geteuid() == 0 ? "user root;\n" : "", dir, dir, POOL_THREADS, dir, dir,
             dir, dir, dir, dir, port, dir, dir);
    char *p = path_in("%s/%s", "nginx.conf");
    write_file(p, conf, strlen(conf));
    free(p);
    free(www);
}

/* The children of pid (its workers), at most max. */
static int children(pid_t pid, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        /* pid (comm) state ppid: comm may hold spaces, so from the last ')'. */
        const char *close = strrchr(buf, ')');
        int ppid;
        if (close && sscanf(close + 1, " %*c %d", &ppid) == 1 && ppid == pid && n < max)
            out[n++] = atoi(e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

struct outcome {
    char statuses[4096];  /* "name: code size same|DIFFERENT" for every fetch */
    int exit_code;
    int threads[1 + WORKERS]; /* master, workers: OS threads not counting pool workers */
    int workers;
    bool alert;           /* an [alert], [crit] or [emerg] in the error log */
};

/* Fetches url with curl into out and appends "label: status" to o->statuses. */
static void fetch(struct outcome *o, const char *url, const char *out, const char *label)
{
    const char *curl = compat_which("curl");
    cr_assert(curl, "curl is not installed: run scripts/setup");
    struct run_result r;
    run_in_mode(&r, RUN_NATIVE, curl,
                (const char *const[]){"-s", "-S", "-o", out, "-w", "%{http_code}", url, NULL},
                NULL, NULL);
    expect_finished(&r, "curl", url);
    snprintf(o->statuses + strlen(o->statuses), sizeof o->statuses - strlen(o->statuses),
             "%s: %s exit %d\n", label, r.out, r.exit_code);
    run_result_free(&r);
}

/* Appends whether the body in got is file i, byte for byte. */
static void compare(struct outcome *o, size_t i, const char *got, const char *label)
{
    char *want = file_bytes(i);
    FILE *f = fopen(got, "r");
    char *buf = malloc(files[i].size + 1);
    size_t n = f ? fread(buf, 1, files[i].size + 1, f) : 0;
    if (f)
        fclose(f);
    bool same = f && n == files[i].size && memcmp(buf, want, n) == 0;
    snprintf(o->statuses + strlen(o->statuses), sizeof o->statuses - strlen(o->statuses),
             "%s: %zu bytes, %s\n", label, n, same ? "the file's bytes" : "DIFFERENT bytes");
    free(buf);
    free(want);
    unlink(got);
}

static void serve(enum run_mode mode, struct outcome *o)
{
    const char *tag = mode == RUN_SHIM ? "shim" : "native";
    const char *nginx_found = compat_which("nginx");
    cr_assert(nginx_found, "nginx is not installed: run scripts/setup");
    char *nginx = strdup(nginx_found), *conf = path_in("%s/%s", "nginx.conf");
    char *elog = path_in("%s/%s", "error.log"), *log;
    cr_assert(asprintf(&log, "%s/nginx-%s.out", dir, tag) > 0);
    unlink(elog);
    int port = -1;
    for (int attempt = 0; attempt < 3 && master < 0; attempt++) {
        port = compat_free_port();
        prepare(port);
        const char *const argv[] = {nginx, "-p", dir, "-c", conf, "-e", elog, NULL};
        master = compat_start(mode, argv, NULL, log);
        if (!compat_wait_port(port, master, START_TIMEOUT_S)) {
            compat_stop(master, STOP_TIMEOUT_S);
            master = -1;
        }
    }
    cr_assert(master > 0, "nginx (%s) did not start: see %s and %s", tag, log, elog);

    char url[256], out[4096], label[128];
    for (size_t i = 0; i < NFILES; i++) {
        for (int read_loc = 0; read_loc < 2; read_loc++) {
            snprintf(url, sizeof url, "http://127.0.0.1:%d/%s%s", port,
                     read_loc ? "read/" : "", files[i].name);
            snprintf(out, sizeof out, "%s/got-%s-%d-%zu", dir, tag, read_loc, i);
            snprintf(label, sizeof label, "%s%s", read_loc ? "read/" : "", files[i].name);
            fetch(o, url, out, label);
            compare(o, i, out, label);
        }
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.txt", port);
    snprintf(out, sizeof out, "%s/got-%s-missing", dir, tag);
    fetch(o, url, out, "missing.txt");
    unlink(out);

    /* 16 at once: the 1 MiB files through both locations, on connections of their own. */
    const char *curl = compat_which("curl");
    const char *args[3 + 16 * 3 + 1] = {"-s", "-S", "--parallel"};
    char urls[16][256], outs[16][4096];
    size_t n = 3;
    for (int k = 0; k < 16; k++) {
        size_t i = NFILES - 1 - (size_t)(k % 2);
        snprintf(urls[k], sizeof urls[k], "http://127.0.0.1:%d/%s%s", port,
                 k % 4 < 2 ? "" : "read/", files[i].name);
        snprintf(outs[k], sizeof outs[k], "%s/par-%s-%d", dir, tag, k);
        args[n++] = "-o";
        args[n++] = outs[k];
        args[n++] = urls[k];
    }
    args[n] = NULL;
    struct run_result r;
    run_in_mode(&r, RUN_NATIVE, curl, args, NULL, NULL);
    expect_finished(&r, "curl --parallel", tag);
    snprintf(o->statuses + strlen(o->statuses), sizeof o->statuses - strlen(o->statuses),
             "16 at once: exit %d\n", r.exit_code);
    run_result_free(&r);
    for (int k = 0; k < 16; k++) {
        snprintf(label, sizeof label, "at once %d", k);
        compare(o, NFILES - 1 - (size_t)(k % 2), outs[k], label);
    }

    pid_t workers[WORKERS + 2];
    o->workers = children(master, workers, WORKERS + 2);
    int pool;
    o->threads[0] = compat_os_threads(master, &pool) - pool;
    for (int w = 0; w < WORKERS && w < o->workers; w++)
        o->threads[1 + w] = compat_os_threads(workers[w], &pool) - pool;
    o->exit_code = compat_stop(master, STOP_TIMEOUT_S);
    master = -1;

    FILE *f = fopen(elog, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[alert]") || strstr(line, "[crit]") || strstr(line, "[emerg]")) {
            o->alert = true;
            cr_log_warn("nginx %s: %s", tag, line);
        }
    if (f)
        fclose(f);
    free(nginx);
    free(conf);
    free(elog);
    free(log);
}

Test(nginx, master_and_two_workers_serve_identical_bytes_with_green_thread_pools)
{
    dir = compat_tempdir("nginx");
    cr_assert(dir);
    static struct outcome native, shim;
    serve(RUN_NATIVE, &native);
    serve(RUN_SHIM, &shim);

    char expected[4096] = "";
    for (size_t i = 0; i < NFILES; i++)
        for (int read_loc = 0; read_loc < 2; read_loc++)
            snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                     "%s%s: 200 exit 0\n%s%s: %zu bytes, the file's bytes\n",
                     read_loc ? "read/" : "", files[i].name, read_loc ? "read/" : "",
                     files[i].name, files[i].size);
    snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
             "missing.txt: 404 exit 0\n16 at once: exit 0\n");
    for (int k = 0; k < 16; k++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                 "at once %d: %zu bytes, the file's bytes\n", k, files[NFILES - 1 - k % 2].size);
    cr_expect_str_eq(native.statuses, expected, "native nginx");
    cr_expect_str_eq(shim.statuses, native.statuses, "nginx under the shim");
    cr_expect_eq(shim.exit_code, native.exit_code, "nginx ended with %d under the shim, %d natively",
                 shim.exit_code, native.exit_code);
    cr_expect_not(native.alert, "native nginx logged an alert (see the log above)");
    cr_expect_not(shim.alert, "nginx under the shim logged an alert (see the log above)");
    cr_expect_eq(native.workers, WORKERS, "native nginx: %d workers", native.workers);
    cr_expect_eq(shim.workers, WORKERS, "nginx under the shim: %d workers", shim.workers);
    cr_expect_eq(native.threads[0], 1, "native nginx master: %d OS threads", native.threads[0]);
    cr_expect_eq(shim.threads[0], 1, "nginx master under the shim: %d OS threads",
                 shim.threads[0]);
    for (int w = 0; w < WORKERS; w++) {
        cr_expect_eq(native.threads[1 + w], 1 + POOL_THREADS,
                     "native nginx worker %d: %d OS threads", w, native.threads[1 + w]);
        cr_expect_eq(shim.threads[1 + w], 1, "nginx worker %d under the shim: %d OS threads", w,
                     shim.threads[1 + w]);
    }
    cr_log_info("nginx OS threads (master, workers): native %d %d %d, under the shim %d %d %d",
                native.threads[0], native.threads[1], native.threads[2], shim.threads[0],
                shim.threads[1], shim.threads[2]);
}
