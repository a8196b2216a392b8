/* See watchdog.h. */
#include "watchdog.h"

#include "backtrace.h"
#include "clock.h"
#include "config.h"
#include "diag.h"
#include "identity.h"
#include "pool.h"
#include "real.h"
#include "scheduler.h"
#include "signals.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

uint64_t gp__watchdog_switches;
int gp__watchdog_signal;

enum {
    MAX_FRAMES = 64,
    /* How long the watchdog waits for the scheduler's OS thread to take its signal. It is
     * taken at once unless that thread holds every signal (inside a handler whose sa_mask
     * is full, say): the report then goes without the thread and the backtrace. */
    CAPTURE_WAIT_MS = 500,
};

/* One question to the scheduler's OS thread and its answer. The watchdog moves state from
 * IDLE to ASKED and sends the signal; the handler moves it from ASKED to CAPTURING, fills in
 * the answer and sets CAPTURED; the watchdog reads it and sets IDLE. A watchdog that gives
 * up waiting moves ASKED back to IDLE, so that a late signal finds no question and writes
 * nothing the watchdog may be reading. */
enum capture_state { IDLE, ASKED, CAPTURING, CAPTURED };

static struct {
    int state;                 /* enum capture_state, atomic */
    uint64_t asked_switches;   /* the switch count of the hold asked about */
    /* The answer, written by the handler between CAPTURING and CAPTURED. */
    bool ended;                /* a switch came before the signal: the hold is over */
    bool hub;                  /* the holder is the hub (an idle program), no thread's */
    uint64_t id;
    char name[GP_NAME_SIZE];
    uintptr_t pc;              /* where the signal interrupted it */
    int nframes;
    void *frames[MAX_FRAMES];
} capture;

static pthread_t scheduler_thread; /* the OS thread the watchdog asks */
/* Its /proc/self/task/TID/schedstat ("cpu-ns runqueue-wait-ns timeslices"), or -1; and
 * the file's identity: the descriptor lives in the program's table, where the program may
 * close it and get its number back for a file of its own (closefrom in a daemon), which the
 * watchdog must then never read. */
static int schedstat_fd = -1;
static dev_t schedstat_dev;
static ino_t schedstat_ino;

/* ---- on the scheduler's OS thread, in signal context ---- */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    /* The watchdog's question carries the address of capture as its value: a signal of
     * this number from anyone else is the program's, and goes where it would have gone. */
    if (info->si_code != SI_QUEUE || info->si_pid != getpid() ||
        info->si_value.sival_ptr != &capture) {
        gp__signal_forward(sig, info, uctx);
        return;
    }
    int expected = ASKED;
    if (!__atomic_compare_exchange_n(&capture.state, &expected, CAPTURING, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return; /* the watchdog gave up on this question */
    int saved_errno = errno;
    const struct gp_thread *t = gp__current;
    /* Read on the thread that writes it: exact. A switch that began but has not reached
     * finish_switch_in is still the old holder's (gp__current may already name the next). */
    capture.ended = gp__watchdog_switches != capture.asked_switches;
    capture.hub = !t || t->is_hub;
    capture.nframes = 0;
    if (!capture.ended && !capture.hub) {
        capture.id = t->id;
        memcpy(capture.name, t->name, sizeof capture.name);
        capture.pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP];
        /* backtrace() loaded libgcc's unwinder when the watchdog started: here it only
         * walks the stack (through the signal frame, which glibc's __restore_rt
         * describes). */
        capture.nframes = backtrace(capture.frames, MAX_FRAMES);
    }
    __atomic_store_n(&capture.state, CAPTURED, __ATOMIC_RELEASE);
    errno = saved_errno;
}

/* ---- on the watchdog thread ---- */

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (gp__real.clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}

/* Asks the scheduler's OS thread for the holder of the hold whose switch count is
 * switches. Returns false when the answer did not come (capture then says nothing). */
static bool ask(uint64_t switches)
{
    capture.asked_switches = switches;
    __atomic_store_n(&capture.state, ASKED, __ATOMIC_RELEASE);
    union sigval value = {.sival_ptr = &capture};
    if (gp__real.pthread_sigqueue(scheduler_thread, gp__watchdog_signal, value) != 0) {
        __atomic_store_n(&capture.state, IDLE, __ATOMIC_RELAXED);
        return false;
    }
    for (int waited = 0; waited < CAPTURE_WAIT_MS; waited++) {
        if (__atomic_load_n(&capture.state, __ATOMIC_ACQUIRE) == CAPTURED)
            break;
        sleep_ms(1);
    }
    int expected = ASKED;
    if (__atomic_compare_exchange_n(&capture.state, &expected, IDLE, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE))
        return false;
    /* The handler has the question: it finishes in a moment. */
    while (__atomic_load_n(&capture.state, __ATOMIC_ACQUIRE) != CAPTURED)
        sleep_ms(1);
    return true;
}

static void report(int64_t held_ms, size_t others, bool answered)
{
    if (!answered) {
        gp__diag("a green thread has held the OS thread for at least %lld ms while %zu other "
                 "green threads cannot run; which and where is unknown (the OS thread did "
                 "not take signal %d)",
                 (long long)held_ms, others, gp__watchdog_signal);
        return;
    }
    gp__diag("green thread %llu \"%s\" has held the OS thread for at least %lld ms while %zu "
             "other green thread%s cannot run; where it is:",
             (unsigned long long)capture.id, capture.name, (long long)held_ms, others,
             others == 1 ? "" : "s");
    gp__backtrace_write_interrupted(capture.frames, capture.nframes, capture.pc);
}

/* Nanoseconds the scheduler's OS thread has waited for a CPU (runnable, not running) since
 * it started, or 0 when the kernel does not say (no CONFIG_SCHED_INFO). */
static int64_t cpu_wait_ns(void)
{
    struct stat st;
    if (schedstat_fd >= 0 && (fstat(schedstat_fd, &st) != 0 || st.st_dev != schedstat_dev ||
                              st.st_ino != schedstat_ino))
        schedstat_fd = -1; /* no longer ours: not to be closed either */
    char text[96];
    ssize_t n = schedstat_fd < 0 ? -1 : gp__real.pread(schedstat_fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    const char *wait = strchr(text, ' ');
    return wait ? strtoll(wait + 1, NULL, 10) : 0;
}

static void *watch(void *unused)
{
    (void)unused;
    gp__real.pthread_setname_np(gp__real.pthread_self(), "gp-watchdog");
    const int64_t warn_ms = gp__config.block_warn_ms;
    /* Four looks per threshold: a hold is seen between N and N + N/4 ms after it began. */
    const int64_t period_ms = warn_ms >= 4 ? warn_ms / 4 : 1;
    uint64_t last = __atomic_load_n(&gp__watchdog_switches, __ATOMIC_RELAXED);
    int64_t since = gp__now_ns();
    int64_t waited_before = -1; /* cpu_wait_ns() at the hold's first look, once taken */
    bool asked = false; /* about the hold that began at since: one report per hold */
    for (;;) {
        sleep_ms(period_ms);
        int64_t now = gp__now_ns();
        uint64_t switches = __atomic_load_n(&gp__watchdog_switches, __ATOMIC_RELAXED);
        if (switches != last) {
            /* The hold began at the last switch, at most one period ago: measuring from
             * now makes every reported time a lower bound. */
            last = switches;
            since = now;
            waited_before = -1;
            asked = false;
            continue;
        }
        /* Time the kernel kept the OS thread off every CPU (a busy machine) is no hold of
         * the green thread's: without this, a preemption of a few ms on a loaded machine
         * looked like a hold to a small threshold. (Measured from the hold's first look,
         * so at most one period of such waiting still counts.) */
        int64_t waited = cpu_wait_ns();
        if (waited_before < 0)
            waited_before = waited;
        int64_t held_ms = (now - since - (waited - waited_before)) / 1000000;
        /* A racy read of a count that only the scheduler's thread writes: an old value
         * only delays a report by one period. */
        size_t live = __atomic_load_n(&gp__sched_live, __ATOMIC_RELAXED);
        if (asked || held_ms < warn_ms || live <= 1)
            continue;
        bool answered = ask(switches);
        bool holder = !answered || (!capture.ended && !capture.hub);
        /* The kernel counts a wait for a CPU once it is over: a thread that was waiting at
         * the look above has run since (it took the signal), so look again. A wait that
         * came after the look is subtracted too: a report is rather late than wrong. */
        if (answered && holder)
            held_ms = (now - since - (cpu_wait_ns() - waited_before)) / 1000000;
        /* A hold by the hub is asked about once; too short a hold, again next period. */
        asked = !holder || held_ms >= warn_ms;
        if (holder && asked)
            report(held_ms, live - 1, answered);
        __atomic_store_n(&capture.state, IDLE, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* The highest real-time signal at SIG_DFL (watchdog.h says why), or 0. */
static int free_signal(void)
{
    for (int sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
        struct sigaction a;
        if (gp__real.sigaction(sig, NULL, &a) == 0 && !(a.sa_flags & SA_SIGINFO) &&
            a.sa_handler == SIG_DFL)
            return sig;
    }
    return 0;
}

/* Starts the watchdog thread with every signal blocked (as the pool's workers: the
 * program's signals are never delivered to it, and the attribute sets the mask before it
 * runs an instruction). */
static void start_thread(void)
{
    int r = gp__pool_os_thread(watch, NULL);
    if (r != 0)
        gp__diag("GREENPATCH_BLOCK_WARN_MS: cannot start the watchdog thread (%s): the "
                 "blocking detector is off", strerror(r));
}

/* The scheduler's OS thread takes the signal whatever its green threads block (signals.c
 * keeps it out of the real mask from now on; the program may have blocked it before the
 * scheduler started). */
static void target_this_thread(void)
{
    scheduler_thread = gp__real.pthread_self();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)gettid());
    if (schedstat_fd >= 0)
        gp__real.close(schedstat_fd); /* the parent's thread's, in a fork child */
    schedstat_fd = gp__real.open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (schedstat_fd >= 0 && fstat(schedstat_fd, &st) == 0) {
        schedstat_dev = st.st_dev;
        schedstat_ino = st.st_ino;
    }
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, gp__watchdog_signal);
    gp__real.pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* A fork child has no watchdog thread (only the forking thread survives). When the fork
 * came from the scheduler's OS thread, the child's green thread goes on being watched. */
static void restart_in_child(void)
{
    if (!gp__current)
        return;
    capture.state = IDLE;
    target_this_thread();
    start_thread();
}

void gp__watchdog_start(void)
{
    if (!gp__config.block_warn_ms)
        return;
    int sig = free_signal();
    if (!sig) {
        gp__diag("GREENPATCH_BLOCK_WARN_MS: every real-time signal is in use by the program: "
                 "the blocking detector is off");
        return;
    }
    if (gp__backtrace_install_handler(sig, on_signal) != 0)
        return;
    gp__watchdog_signal = sig;
    target_this_thread();
    pthread_atfork(NULL, NULL, restart_in_child);
    start_thread();
}
