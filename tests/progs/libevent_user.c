/* A program linked with libevent (built with -levent). The shim loads libev privately, and
 * libev also defines event_* names (its libevent 1.x emulation: event_base_new,
 * event_base_dispatch, event_get_version...): those must not capture the program's calls.
 *  - prints event_get_version() and, for several libevent entry points, the basename of the
 *    library file dladdr() finds them in (libevent's, e.g. "libevent-2.1.so.7");
 *  - runs a small event loop in a second thread to completion: a 20 ms timer whose callback
 *    writes to a pipe, and a read event on that pipe; dispatch returns once neither is
 *    pending.
 * With IO_REPORT_TASKS=1 it reports the OS thread count while the loop thread runs. */
#include "io_util.h"

#include <dlfcn.h>
#include <event2/event.h>

static void print_library_of(const char *name, void *fn)
{
    Dl_info info;
    CHECK(dladdr(fn, &info) != 0 && info.dli_fname != NULL, name);
    const char *slash = strrchr(info.dli_fname, '/');
    printf("%s is in %s\n", name, slash ? slash + 1 : info.dli_fname);
}

struct loop_state {
    int pipe_fds[2];
    struct event *timer;
    struct event *readable;
};

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct loop_state *st = arg;
    printf("timer fired (EV_TIMEOUT: %s)\n", what & EV_TIMEOUT ? "yes" : "no");
    CHECK(write(st->pipe_fds[1], "ping", 4) == 4, "write ping");
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    char buf[8] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("pipe readable (EV_READ: %s): read %zd \"%s\"\n", what & EV_READ ? "yes" : "no", n,
           buf);
}

static void *run_loop(void *arg)
{
    struct loop_state *st = arg;
    struct event_base *base = event_base_new();
    CHECK(base != NULL, "event_base_new");
    st->timer = evtimer_new(base, on_timer, st);
    st->readable = event_new(base, st->pipe_fds[0], EV_READ, on_readable, st);
    CHECK(st->timer && st->readable, "event_new");
    struct timeval twenty_ms = {0, 20000};
    CHECK(evtimer_add(st->timer, &twenty_ms) == 0, "evtimer_add");
    io_report_tasks(); /* main waits in join */
    CHECK(event_add(st->readable, NULL) == 0, "event_add");
    int rc = event_base_dispatch(base);
    /* 1: it returned because no event was pending any more, which is the point here. */
    printf("event_base_dispatch returned %d\n", rc);
    CHECK(rc == 1, "event_base_dispatch");
    event_free(st->timer);
    event_free(st->readable);
    event_base_free(base);
    return NULL;
}

int main(void)
{
    alarm(IO_SAFETY_ALARM_S);
    printf("event_get_version: %s\n", event_get_version());
    print_library_of("event_get_version", (void *)event_get_version);
    print_library_of("event_base_new", (void *)event_base_new);
    print_library_of("event_new", (void *)event_new);
    print_library_of("event_base_dispatch", (void *)event_base_dispatch);

    struct loop_state st;
    CHECK(pipe(st.pipe_fds) == 0, "pipe");
    io_join(io_start_thread(run_loop, &st));
    close(st.pipe_fds[0]);
    close(st.pipe_fds[1]);
    printf("done\n");
    return 0;
}
