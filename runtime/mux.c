/* See mux.h. */
#include "mux.h"

#include "clock.h"
#include "hub.h"
#include "real.h"
#include "scheduler.h"
#include "timeout.h"
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The fds of this many entries are watched from the caller's stack; more are malloc'd. */
enum { STACK_WATCHES = 16 };

/* A multiplexing call in progress: what it watches on the hub, and its zero-timeout
 * attempt. Embedded first in the call's own struct. */
struct mux_call {
    int (*attempt)(struct mux_call *c, const sigset_t *mask); /* count, 0 or -errno */
    /* Another green thread closed fd while the call waited: what the kernel does then,
     * besides no longer watching it (NULL: nothing). */
    void (*closed)(struct mux_call *c, int fd);
    struct gp_hub_fd *watch; /* small or malloc'd */
    size_t n;
    struct gp_hub_fd small[STACK_WATCHES];
};

static int neg_errno(int r) { return r < 0 ? -errno : r; }

static int watch_list(struct mux_call *c, size_t n)
{
    c->n = n;
    c->watch = n <= STACK_WATCHES ? c->small : malloc(n * sizeof *c->watch);
    return c->watch ? 0 : -ENOMEM;
}

static void watch_list_free(struct mux_call *c)
{
    if (c->watch != c->small)
        free(c->watch);
}

/* Readiness reports that the attempt contradicts (a regular file, which epoll cannot
 * watch and libev then reports ready at every turn; a socket with data polled only for
 * errors; another green thread that took the data first): after this many, the fds that
 * keep firing are no longer watched, and the call looks at them after a growing pause
 * (1 ms doubling up to 32 ms) while the others are still watched. */
enum { CONTRADICTIONS_BEFORE_BACKOFF = 3, BACKOFF_DOUBLINGS = 5 };
#define BACKOFF_FIRST_NS 1000000

/* The wait after a first attempt found nothing ready. */
static int mux_wait(struct mux_call *c, int64_t deadline, const sigset_t *mask)
{
    /* A timeout scope (timeout.h) ends the wait as the call's own timeout does: with the
     * last attempt's answer, 0 when nothing is ready. */
    deadline = gp__timeout_bound(deadline);
    int contradictions = 0;
    for (;;) {
        int64_t until = deadline;
        if (contradictions >= CONTRADICTIONS_BEFORE_BACKOFF) {
            int shift = contradictions - CONTRADICTIONS_BEFORE_BACKOFF;
            if (shift > BACKOFF_DOUBLINGS)
                shift = BACKOFF_DOUBLINGS;
            int64_t pause_end = gp__deadline_after(BACKOFF_FIRST_NS << shift);
            until = pause_end < deadline ? pause_end : deadline;
        }
        int why = gp__hub_wait_fds(c->watch, c->n, until, GP_INTR_ALWAYS, mask);
        if (why < 0)
            return why;
        if (why == GP_WAKE_INTERRUPT)
            return -EINTR;
        bool fired = false;
        for (size_t i = 0; i < c->n; i++) {
            if (c->watch[i].fired & GP_HUB_CLOSED) {
                c->watch[i].events = 0;
                if (c->closed)
                    c->closed(c, c->watch[i].fd);
            } else if (c->watch[i].fired) {
                fired = true;
            }
        }
        /* Natively a close() in another thread does not wake the call: it keeps waiting,
         * and sees the closed fd when something else wakes it. */
        if (!fired && why != GP_WAKE_TIMEOUT)
            continue;
        int r = c->attempt(c, NULL);
        if (r != 0 || (why == GP_WAKE_TIMEOUT && until == deadline))
            return r;
        contradictions++;
        if (contradictions >= CONTRADICTIONS_BEFORE_BACKOFF)
            for (size_t i = 0; i < c->n; i++)
                if (c->watch[i].fired)
                    c->watch[i].events = 0;
    }
}

/* Looks in a row, with no switch between them, after which the next look first gives the
 * other green threads a turn (see first_attempt). */
enum { LOOKS_BEFORE_TURN = 16 };

static struct {
    uint64_t switches; /* gp__watchdog_switches (the scheduler's count) at the streak's start */
    unsigned looks;
} streak;

/* The first look at the fds. Natively the other threads go on meanwhile on other CPUs.
 * Here a thread whose loop always finds something ready would never let them run, nor the
 * hub that wakes them (gp__sched_yield goes through it every so many times):
 * redis-benchmark --threads, whose loops that have issued their last requests spin on
 * EPOLLOUT until the others have read the last replies, hung so. So a thread that has
 * looked LOOKS_BEFORE_TURN times without a switch gives the others a turn before it looks
 * again; a loop that waits now and then, or finds something at its first look (an accept
 * loop), never queues behind all the runnable threads. A zero timeout that finds nothing
 * ready gives them a turn too: it is a "not yet" after which another thread may have acted
 * (shim.h: gp_not_yet), and a program may poll in a loop until then. */
static int first_attempt(struct mux_call *c, const sigset_t *mask, int64_t deadline)
{
    uint64_t switches = __atomic_load_n(&gp__watchdog_switches, __ATOMIC_RELAXED);
    if (switches != streak.switches) {
        streak.switches = switches;
        streak.looks = 0;
    }
    if (++streak.looks > LOOKS_BEFORE_TURN) {
        streak.looks = 0;
        gp__sched_yield();
    }
    int r = c->attempt(c, mask);
    if (r == 0 && deadline == 0)
        gp__sched_yield();
    return r;
}

int64_t gp__mux_deadline(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return GP_NO_DEADLINE;
    return timeout_ns == 0 ? 0 : gp__deadline_after(timeout_ns);
}

/* ---- poll, ppoll ---- */

struct poll_call {
    struct mux_call c;
    struct pollfd *fds;
    nfds_t n;
};

/* A closed fd needs nothing: the next attempt reports it, POLLNVAL, as the kernel's next
 * look at the fds does. */
static int poll_attempt(struct mux_call *c, const sigset_t *mask)
{
    struct poll_call *p = (struct poll_call *)c;
    if (!mask)
        return neg_errno(gp__real.poll(p->fds, p->n, 0));
    struct timespec zero = {0, 0};
    return neg_errno(gp__real.ppoll(p->fds, p->n, &zero, mask));
}

/* libev watches for reading and writing only. Priority data wakes a reader too (TCP
 * urgent data comes with POLLIN); a socket polled for errors and hang-ups alone is
 * watched for reading, where epoll reports them (as it does for any watch). */
static int hub_events(short events)
{
    int ev = 0;
    if (events & (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLRDHUP))
        ev |= GP_HUB_READ;
    if (events & (POLLOUT | POLLWRNORM | POLLWRBAND))
        ev |= GP_HUB_WRITE;
    return ev ? ev : GP_HUB_READ;
}

int gp__mux_poll(struct pollfd *fds, nfds_t n, int64_t deadline, const sigset_t *mask)
{
    struct poll_call p = {.c = {.attempt = poll_attempt}, .fds = fds, .n = n};
    int r = first_attempt(&p.c, mask, deadline);
    if (r != 0 || deadline == 0)
        return r;
    /* The first attempt checked n against the fd limit (EINVAL). */
    if ((r = watch_list(&p.c, n)) < 0)
        return r;
    for (nfds_t i = 0; i < n; i++) {
        /* A negative fd is ignored (poll(2)). */
        p.c.watch[i] = (struct gp_hub_fd){
            .fd = fds[i].fd, .events = fds[i].fd < 0 ? 0 : hub_events(fds[i].events)};
    }
    r = mux_wait(&p.c, deadline, mask);
    watch_list_free(&p.c);
    return r;
}

/* ---- select, pselect ---- */

enum { SET_WORDS = FD_SETSIZE / (8 * sizeof(unsigned long)), BITS = 8 * sizeof(unsigned long) };

struct select_call {
    struct mux_call c;
    int n;
    fd_set *sets[3];             /* the caller's read, write and except sets, or NULL */
    unsigned long *saved[3];     /* what they held on entry */
    unsigned long *closed;       /* fds closed by other green threads meanwhile */
    bool any_closed;
    size_t words;                /* of each set that the kernel reads and writes */
    unsigned long *heap;         /* saved and closed when they are larger than small_sets */
    unsigned long small_sets[4][SET_WORDS];
};

static bool in_set(const unsigned long *set, int fd)
{
    return set && (set[(size_t)fd / BITS] >> ((size_t)fd % BITS) & 1);
}

static void add_to_set(unsigned long *set, int fd)
{
    set[(size_t)fd / BITS] |= 1UL << ((size_t)fd % BITS);
}

/* select checks its fds once, at the start (EBADF). An fd closed later is found missing at
 * a later look, and then reported ready for reading and writing, as a file without a
 * poll method is (Linux's do_select takes DEFAULT_POLLMASK for it). The attempts leave it
 * out of the sets they pass on, and add it to the result. */
static int select_attempt(struct mux_call *c, const sigset_t *mask)
{
    struct select_call *s = (struct select_call *)c;
    for (int i = 0; i < 3; i++) {
        if (!s->sets[i])
            continue;
        unsigned long *set = (unsigned long *)s->sets[i];
        for (size_t w = 0; w < s->words; w++)
            set[w] = s->saved[i][w] & ~s->closed[w];
    }
    int r;
    if (!mask) {
        struct timeval zero = {0, 0};
        r = neg_errno(gp__real.select(s->n, s->sets[0], s->sets[1], s->sets[2], &zero));
    } else {
        struct timespec zero = {0, 0};
        r = neg_errno(gp__real.pselect(s->n, s->sets[0], s->sets[1], s->sets[2], &zero, mask));
    }
    for (int fd = 0; r >= 0 && s->any_closed && fd < s->n; fd++) {
        for (int i = 0; i < 2 && in_set(s->closed, fd); i++) {
            if (in_set(s->saved[i], fd)) {
                add_to_set((unsigned long *)s->sets[i], fd);
                r++;
            }
        }
    }
    return r;
}

static void select_closed(struct mux_call *c, int fd)
{
    struct select_call *s = (struct select_call *)c;
    add_to_set(s->closed, fd);
    s->any_closed = true;
}

/* The size of the process's fd table (FDSize in /proc/self/status), or fallback. The
 * kernel reads and writes no more bits of select's sets than that, and programs do pass
 * a larger n (getdtablesize()) with sets of FD_SETSIZE bits: copying n bits of them
 * could run off their end. */
static int fd_table_size(int fallback)
{
    char buf[4096];
    int fd = gp__real.open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fallback;
    ssize_t len = gp__real.read(fd, buf, sizeof buf - 1);
    gp__real.close(fd);
    if (len <= 0)
        return fallback;
    buf[len] = '\0';
    const char *line = strstr(buf, "\nFDSize:");
    if (!line)
        return fallback;
    long size = strtol(line + strlen("\nFDSize:"), NULL, 10);
    return size > 0 && size < INT_MAX ? (int)size : fallback;
}

/* Builds the watch list from the saved sets (the attempts overwrite the caller's): one
 * pass to count, one to fill. */
static int select_watch(struct select_call *s)
{
    size_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && watch_list(&s->c, count) < 0)
            return -ENOMEM;
        count = 0;
        for (int fd = 0; fd < s->n; fd++) {
            int ev = (in_set(s->saved[0], fd) || in_set(s->saved[2], fd) ? GP_HUB_READ : 0) |
                     (in_set(s->saved[1], fd) ? GP_HUB_WRITE : 0);
            if (ev && pass == 1)
                s->c.watch[count] = (struct gp_hub_fd){.fd = fd, .events = ev};
            count += ev != 0;
        }
    }
    return 0;
}

int gp__mux_select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline,
                   const sigset_t *mask)
{
    struct select_call s = {.c = {.attempt = select_attempt, .closed = select_closed},
                            .n = n, .sets = {r, w, e}};
    if (n > FD_SETSIZE) {
        int table = fd_table_size(n);
        s.n = table < n ? table : n;
    }
    s.words = s.n > 0 ? ((size_t)s.n + BITS - 1) / BITS : 0;
    size_t bytes = s.words * sizeof(unsigned long);
    unsigned long *store = s.small_sets[0];
    if (s.words > SET_WORDS && !(store = s.heap = calloc(4, bytes)))
        return -ENOMEM;
    for (int i = 0; i < 3; i++) {
        s.saved[i] = s.sets[i] ? store + i * s.words : NULL;
        if (s.sets[i])
            memcpy(s.saved[i], s.sets[i], bytes);
    }
    s.closed = store + 3 * s.words;
    int ret = first_attempt(&s.c, mask, deadline);
    if (ret == 0 && deadline != 0) {
        ret = select_watch(&s);
        if (ret == 0)
            ret = mux_wait(&s.c, deadline, mask);
        watch_list_free(&s.c);
        /* Natively the sets are written only when the call returns a count or 0. */
        if (ret < 0)
            for (int i = 0; i < 3; i++)
                if (s.sets[i])
                    memcpy(s.sets[i], s.saved[i], bytes);
    }
    free(s.heap);
    return ret;
}

/* ---- epoll_wait, epoll_pwait, epoll_pwait2 ---- */

struct epoll_call {
    struct mux_call c;
    bool closed; /* the epoll fd was closed meanwhile */
    int epfd;
    struct epoll_event *events;
    int max;
};

static int epoll_attempt(struct mux_call *c, const sigset_t *mask)
{
    struct epoll_call *p = (struct epoll_call *)c;
    /* Natively the call holds the epoll instance until it returns: after a close() in
     * another thread it still waits out its timeout, and then reports nothing. */
    if (p->closed)
        return 0;
    if (!mask)
        return neg_errno(gp__real.epoll_wait(p->epfd, p->events, p->max, 0));
    return neg_errno(gp__real.epoll_pwait(p->epfd, p->events, p->max, 0, mask));
}

static void epoll_closed(struct mux_call *c, int fd)
{
    (void)fd;
    ((struct epoll_call *)c)->closed = true;
}

int gp__mux_epoll_wait(int epfd, struct epoll_event *events, int max, int64_t deadline,
                       const sigset_t *mask)
{
    struct epoll_call p = {.c = {.attempt = epoll_attempt, .closed = epoll_closed},
                           .epfd = epfd, .events = events, .max = max};
    int r = first_attempt(&p.c, mask, deadline);
    if (r != 0 || deadline == 0)
        return r;
    /* The epoll fd is readable while some of its events are ready. */
    watch_list(&p.c, 1);
    p.c.watch[0] = (struct gp_hub_fd){.fd = epfd, .events = GP_HUB_READ};
    return mux_wait(&p.c, deadline, mask);
}
