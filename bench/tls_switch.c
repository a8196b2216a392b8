/* SPIKE for issue 4 (thread-local storage per green thread): a measurement, not an
 * implementation. Nothing here is used by the library.
 *
 * Prints (1) facts about this machine: glibc version, whether FSGSBASE is enabled for user
 * space (AT_HWCAP2 bit 1, and whether rdfsbase/wrfsbase really execute), glibc's static TLS
 * layout (every module's PT_TLS from dl_iterate_phdr, the static TLS size and alignment,
 * struct pthread's size measured from a thread's stack top); (2) what changes when %fs points
 * at a copy of the static TLS block + TCB; (3) ns per switch of two boost.context fcontexts
 * ping-ponging (jump_fcontext, linked statically as runtime/fiber.c is) with
 *   none      no TLS work,
 *   copy-1k   memcpy of 1 KiB of live static TLS out to the leaving context's save area and
 *             in from the entering one's,
 *   copy-64k  the same with 64 KiB,
 *   wrfsbase  the thread pointer switched to the entering context's own copy of the whole
 *             static TLS block + TCB (only when FSGSBASE works),
 * the median of ROUNDS runs each, and the ratios to "none". Checked against glibc 2.36
 * (Debian 12), x86_64 only. Usage: tls_switch */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#if !defined(__x86_64__)
#error "x86_64 only"
#endif

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

enum { ROUNDS = 7, BIG_TLS = 64 * 1024, STACK_BYTES = 256 * 1024 };

/* boost.context's C-linkage fcontext calls, as declared in runtime/fiber.h. */
typedef void *fcontext_t;
struct transfer {
    fcontext_t fctx;
    void *data;
};
struct transfer jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(struct transfer));

/* 64 KiB of the executable's static TLS: what the copy mechanism moves. */
static __thread char tls_big[BIG_TLS] __attribute__((aligned(64)));
static __thread long tls_counter = 1;

static uintptr_t rdfsbase(void)
{
    uintptr_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return v;
}

static void wrfsbase(uintptr_t v) { __asm__ volatile("wrfsbase %0" ::"r"(v) : "memory"); }

/* %fs:0 read through the segment: what glibc's THREAD_SELF-style reads see. */
static uintptr_t fs_word(unsigned off)
{
    uintptr_t v;
    __asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"((uintptr_t)off));
    return v;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- facts ---- */

static sigjmp_buf sigill_jmp;
static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(sigill_jmp, 1);
}

/* 1 when rdfsbase and wrfsbase execute and wrfsbase really moves %fs. */
static int fsgsbase_works(void)
{
    struct sigaction sa = {.sa_handler = on_sigill}, old;
    sigaction(SIGILL, &sa, &old);
    volatile int ok = 0;
    if (!sigsetjmp(sigill_jmp, 1)) {
        uintptr_t tp = rdfsbase();
        ok = tp == fs_word(0);
        wrfsbase(tp); /* same value: harmless, but proves the instruction runs */
        ok = ok && rdfsbase() == tp;
    }
    sigaction(SIGILL, &old, NULL);
    return ok;
}

static int print_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t tp = *(uintptr_t *)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS)
            continue;
        const char *name = info->dlpi_name[0] ? info->dlpi_name : "(executable)";
        printf("  modid %zu  memsz %6zu  filesz %5zu  align %3zu  data tp-%-6ld  %s\n",
               info->dlpi_tls_modid, (size_t)ph->p_memsz, (size_t)ph->p_filesz,
               (size_t)ph->p_align,
               info->dlpi_tls_data ? (long)(tp - (uintptr_t)info->dlpi_tls_data) : -1L, name);
    }
    return 0;
}

static void *thread_self_and_top(void *out)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    /* glibc's allocate_stack puts struct pthread at the top of the stack mapping, rounded
     * down to the static TLS alignment; the TLS blocks are below it. */
    *(size_t *)out = (uintptr_t)addr + size - (uintptr_t)pthread_self();
    return NULL;
}

static size_t static_size, static_align, tcb_bytes;

static void print_facts(int *fsgsbase)
{
    unsigned long hw2 = getauxval(AT_HWCAP2);
    *fsgsbase = (hw2 & HWCAP2_FSGSBASE) && fsgsbase_works();
    printf("glibc %s (%s)\n", gnu_get_libc_version(), gnu_get_libc_release());
    printf("AT_HWCAP2 %#lx: FSGSBASE bit %s; rdfsbase/wrfsbase %s\n", hw2,
           hw2 & HWCAP2_FSGSBASE ? "set" : "clear",
           *fsgsbase ? "work" : "do not work (or were not tried)");

    void (*static_info)(size_t *, size_t *) =
        (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    if (static_info)
        static_info(&static_size, &static_align);
    pthread_t t;
    pthread_create(&t, NULL, thread_self_and_top, &tcb_bytes);
    pthread_join(t, NULL);
    uintptr_t tp = fs_word(0);
    printf("thread pointer %#lx = %%fs:0 = pthread_self() %s; %%fs:16 (header.self) %s\n",
           (unsigned long)tp, tp == (uintptr_t)pthread_self() ? "yes" : "NO",
           fs_word(16) == tp ? "= tp" : "!= tp");
    printf("static TLS (_dl_get_tls_static_info, GLIBC_PRIVATE): size %zu, align %zu\n",
           static_size, static_align);
    printf("struct pthread (TCB) measured as stack top - pthread_self() in a new thread: %zu\n",
           tcb_bytes);
    printf("static TLS below the TCB: %zu bytes (size - TCB); dtv at %%fs:8 = %#lx\n",
           static_size - tcb_bytes, (unsigned long)fs_word(8));
    printf("modules with PT_TLS (data as seen by this thread, offset below tp):\n");
    dl_iterate_phdr(print_module, &tp);
}

/* ---- what a %fs copy changes ---- */

static char *copy_block; /* the copy's allocation */
static uintptr_t copy_tp;

/* A copy of [tp - (size - tcb), tp + tcb) with the TCB's self pointers fixed. */
static uintptr_t make_tls_copy(void)
{
    uintptr_t tp = fs_word(0);
    size_t below = static_size - tcb_bytes;
    copy_block = aligned_alloc(static_align < 64 ? 64 : static_align,
                               (static_size + 4095) / 4096 * 4096);
    if (!copy_block)
        abort();
    memcpy(copy_block, (char *)tp - below, static_size);
    uintptr_t ntp = (uintptr_t)copy_block + below;
    ((uintptr_t *)ntp)[0] = ntp; /* tcbhead_t.tcb */
    ((uintptr_t *)ntp)[2] = ntp; /* tcbhead_t.self */
    return ntp;
}

struct observed {
    void *errno_addr, *self, *big_addr, *dtv, *dl_tls_data;
    long counter;
    uintptr_t guard, pguard;
    int cpu_getcpu, cpu_rseq, cpu_syscall;
};

static int exe_tls_data(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (!info->dlpi_name[0] && info->dlpi_tls_modid) {
        *(void **)data = info->dlpi_tls_data;
        return 1;
    }
    return 0;
}

extern const ptrdiff_t __rseq_offset __attribute__((weak));

static void __attribute__((noinline)) observe(struct observed *o)
{
    o->errno_addr = &errno;
    o->self = (void *)pthread_self();
    o->big_addr = tls_big;
    o->counter = tls_counter;
    o->dtv = (void *)fs_word(8);
    o->guard = fs_word(0x28);
    o->pguard = fs_word(0x30);
    o->dl_tls_data = NULL;
    dl_iterate_phdr(exe_tls_data, &o->dl_tls_data);
    o->cpu_getcpu = sched_getcpu();
    /* struct rseq's cpu_id (offset 4) lives inside struct pthread at __rseq_offset from tp;
     * the kernel updates the copy registered with rseq(2): the original's. */
    o->cpu_rseq = &__rseq_offset ? *(volatile int *)(fs_word(0) + __rseq_offset + 4) : -9;
    unsigned cpu = 0;
    o->cpu_syscall = syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 ? (int)cpu : -1;
}

/* Moves this OS thread to another CPU when there is one (rseq's cpu_id then changes in the
 * area registered with the kernel). Returns the previous affinity in *old. */
static void migrate(cpu_set_t *old)
{
    sched_getaffinity(0, sizeof *old, old);
    int here = sched_getcpu();
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (c != here && CPU_ISSET(c, old)) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
    }
}

static void __attribute__((noinline)) bump_counter(void) { tls_counter += 100; }

static void print_copy_effects(void)
{
    struct observed a, b;
    copy_tp = make_tls_copy();
    uintptr_t orig = rdfsbase();
    observe(&a);
    wrfsbase(copy_tp);
    bump_counter(); /* in the copy only */
    cpu_set_t old_affinity;
    migrate(&old_affinity);
    observe(&b);
    sched_setaffinity(0, sizeof old_affinity, &old_affinity);
    errno = 0;
    /* stdio and malloc from the copy: FILE locks record THREAD_SELF as owner; tcache is a
     * libc __thread pointer, copied, so both contexts share the original's tcache. */
    void *m = malloc(100);
    free(m);
    fflush(stdout);
    wrfsbase(orig);
    struct observed c;
    observe(&c);
    printf("\n%%fs at a copy of static TLS + TCB (copy made with tcb/self fixed):\n");
    printf("  %-34s %-18s %-18s %s\n", "item", "original", "copy", "verdict");
#define ROW(name, fa, fb, same_is_ok)                                                       \
    printf("  %-34s %-18p %-18p %s\n", name, (void *)(uintptr_t)(fa), (void *)(uintptr_t)(fb), \
           (fa) == (fb) ? (same_is_ok ? "same" : "SAME (shared, not per context)")            \
                        : (same_is_ok ? "DIFFERS" : "differs (per context)"))
    ROW("&errno", a.errno_addr, b.errno_addr, 0);
    ROW("pthread_self() = THREAD_SELF", a.self, b.self, 0);
    ROW("&tls_big (exe, local-exec)", a.big_addr, b.big_addr, 0);
    ROW("dlpi_tls_data of exe (via DTV)", a.dl_tls_data, b.dl_tls_data, 0);
    ROW("dtv pointer %fs:8", a.dtv, b.dtv, 0);
    ROW("stack guard %fs:0x28", a.guard, b.guard, 1);
    ROW("pointer guard %fs:0x30", a.pguard, b.pguard, 1);
    printf("  %-34s %-18ld %-18ld %s\n", "tls_counter after +100 in copy", c.counter,
           b.counter, c.counter == 1 && b.counter == 101 ? "independent" : "LEAKED");
    printf("  %-34s %-18d %-18d %s\n", "sched_getcpu() (reads rseq cpu_id)", a.cpu_getcpu,
           b.cpu_getcpu, "");
    printf("  %-34s %-18d %-18d %s\n", "getcpu syscall (the truth)", a.cpu_syscall,
           b.cpu_syscall,
           b.cpu_getcpu == b.cpu_syscall ? "rseq cpu_id right in the copy"
                                         : "STALE: the kernel updates only the registered rseq "
                                           "area (the original's)");
}

/* ---- the switch benchmark ---- */

enum mode { NONE, COPY, FSBASE };
static enum mode mode;
static size_t copy_bytes;
static long iterations;
static char *save[2]; /* per-context TLS save areas (copy mode) */
static uintptr_t tp_of[2]; /* per-context thread pointers (wrfsbase mode) */

/* The TLS work of one switch from context `from` to the other. */
static inline void tls_switch(int from)
{
    if (mode == COPY) {
        memcpy(save[from], tls_big, copy_bytes);
        memcpy(tls_big, save[!from], copy_bytes);
    } else if (mode == FSBASE) {
        wrfsbase(tp_of[!from]);
    }
}

static void peer(struct transfer t)
{
    for (;;) {
        tls_switch(1);
        t = jump_fcontext(t.fctx, NULL);
    }
}

static double run_once(enum mode m, size_t bytes, long iters)
{
    static char stack[STACK_BYTES] __attribute__((aligned(64)));
    mode = m;
    copy_bytes = bytes;
    iterations = iters;
    fcontext_t ctx = make_fcontext(stack + sizeof stack, sizeof stack, peer);
    struct transfer t = jump_fcontext(ctx, NULL); /* peer's first half-switch */
    ctx = t.fctx;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        tls_switch(0);
        t = jump_fcontext(ctx, NULL);
        ctx = t.fctx;
    }
    double dt = now_ns() - t0;
    /* leave the peer parked; the first switch of the next run starts a fresh one */
    return dt / (2.0 * iters);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_ns(enum mode m, size_t bytes, long iters)
{
    double r[ROUNDS];
    run_once(m, bytes, iters / 10); /* warm up */
    for (int i = 0; i < ROUNDS; i++)
        r[i] = run_once(m, bytes, iters);
    qsort(r, ROUNDS, sizeof r[0], cmp_double);
    return r[ROUNDS / 2];
}

int main(void)
{
    int fsgsbase;
    print_facts(&fsgsbase);
    if (fsgsbase && static_size && tcb_bytes)
        print_copy_effects();

    save[0] = malloc(BIG_TLS);
    save[1] = malloc(BIG_TLS);
    memset(save[1], 0x5a, BIG_TLS);
    tp_of[0] = fs_word(0);
    tp_of[1] = copy_tp;

    struct {
        const char *name;
        enum mode m;
        size_t bytes;
        long iters;
    } rows[] = {
        {"none", NONE, 0, 2000000},
        {"copy-1k", COPY, 1024, 1000000},
        {"copy-64k", COPY, BIG_TLS, 20000},
        {"wrfsbase", FSBASE, 0, 2000000},
    };
    size_t nrows = sizeof rows / sizeof rows[0] - (fsgsbase && copy_tp ? 0 : 1);
    double base = 0;
    printf("\nns per switch (one jump_fcontext + its TLS work), median of %d runs:\n", ROUNDS);
    printf("  %-10s %10s %10s\n", "mechanism", "ns/switch", "x none");
    for (size_t i = 0; i < nrows; i++) {
        double ns = median_ns(rows[i].m, rows[i].bytes, rows[i].iters);
        if (i == 0)
            base = ns;
        printf("  %-10s %10.1f %10.2f\n", rows[i].name, ns, ns / base);
    }
    if (nrows < sizeof rows / sizeof rows[0])
        printf("  wrfsbase   not measured: FSGSBASE not usable here\n");
    return 0;
}
