/* See real.h. dlsym(RTLD_NEXT) returns each name's default version, which is the version
 * that a program linked today binds to (pthread_cond_wait@@GLIBC_2.3.2,
 * pthread_create@@GLIBC_2.34): the shim passes every call on to the current ABI.
 *
 * Names are resolved lazily, as ld.so binds a PLT: each slot of the table starts as a
 * stub, and the first call through it looks the name up, stores the real function in the
 * slot and jumps there with the caller's arguments untouched. Resolving all ~240 names at
 * start (about 220,000 instructions of dlsym, half the start-up of a small program) was
 * what a program that never makes a thread paid for the shim (rule 5); now it pays for
 * the few names it calls. */
#include "real.h"

#include "diag.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* The stubs: one 16-byte slot each, in the table's order from gp__real_stubs on. Each
 * puts its own address in r11 (a scratch register that no call passes anything in) and
 * goes to lazy_bind, which keeps every argument register (rax too: it counts the vector
 * registers of a variadic call such as open or fcntl) and the stack as they were, asks
 * gp__real_bind for the function, and jumps to it: the function returns straight to the
 * caller, and stack arguments are where it expects them. Entered with rsp 8 bytes past a
 * 16-byte boundary (a call's return address), lazy_bind keeps 184 bytes, which aligns the
 * stack for its own call and for movaps. */
enum { STUB_SIZE = 16 };
#define GP_REAL_STUB(ret, name, args)                                                         \
    ".balign 16\n"                                                                            \
    "gp__real_stub_" #name ":\n\t"                                                            \
    ".cfi_startproc\n\t"                                                                      \
    "leaq gp__real_stub_" #name "(%rip), %r11\n\t"                                            \
    "jmp lazy_bind\n\t"                                                                       \
    ".cfi_endproc\n"
__asm__(".pushsection .text\n"
        ".balign 16\n"
        "gp__real_stubs:\n" GP_REAL_FUNCTIONS(GP_REAL_STUB)
        ".balign 16\n"
        "lazy_bind:\n\t"
        ".cfi_startproc\n\t"
        "subq $184, %rsp\n\t"
        ".cfi_adjust_cfa_offset 184\n\t"
        "movaps %xmm0, 0(%rsp)\n\t"
        "movaps %xmm1, 16(%rsp)\n\t"
        "movaps %xmm2, 32(%rsp)\n\t"
        "movaps %xmm3, 48(%rsp)\n\t"
        "movaps %xmm4, 64(%rsp)\n\t"
        "movaps %xmm5, 80(%rsp)\n\t"
        "movaps %xmm6, 96(%rsp)\n\t"
        "movaps %xmm7, 112(%rsp)\n\t"
        "movq %rdi, 128(%rsp)\n\t"
        "movq %rsi, 136(%rsp)\n\t"
        "movq %rdx, 144(%rsp)\n\t"
        "movq %rcx, 152(%rsp)\n\t"
        "movq %r8, 160(%rsp)\n\t"
        "movq %r9, 168(%rsp)\n\t"
        "movq %rax, 176(%rsp)\n\t"
        "movq %r11, %rdi\n\t"
        "call gp__real_bind\n\t"
        "movq %rax, %r11\n\t"
        "movaps 0(%rsp), %xmm0\n\t"
        "movaps 16(%rsp), %xmm1\n\t"
        "movaps 32(%rsp), %xmm2\n\t"
        "movaps 48(%rsp), %xmm3\n\t"
        "movaps 64(%rsp), %xmm4\n\t"
        "movaps 80(%rsp), %xmm5\n\t"
        "movaps 96(%rsp), %xmm6\n\t"
        "movaps 112(%rsp), %xmm7\n\t"
        "movq 128(%rsp), %rdi\n\t"
        "movq 136(%rsp), %rsi\n\t"
        "movq 144(%rsp), %rdx\n\t"
        "movq 152(%rsp), %rcx\n\t"
        "movq 160(%rsp), %r8\n\t"
        "movq 168(%rsp), %r9\n\t"
        "movq 176(%rsp), %rax\n\t"
        "addq $184, %rsp\n\t"
        ".cfi_adjust_cfa_offset -184\n\t"
        "jmp *%r11\n\t"
        ".cfi_endproc\n"
        ".popsection\n");

extern const char gp__real_stubs[] __attribute__((visibility("hidden")));
#define GP_REAL_STUB_DECL(ret, name, args)                                                    \
    extern ret gp__real_stub_##name args __attribute__((visibility("hidden")));
GP_REAL_FUNCTIONS(GP_REAL_STUB_DECL)
#undef GP_REAL_STUB_DECL

#define GP_REAL_STUB_INIT(ret, name, args) .name = gp__real_stub_##name,
struct gp_real gp__real = {GP_REAL_FUNCTIONS(GP_REAL_STUB_INIT)};
#undef GP_REAL_STUB_INIT

#define GP_REAL_NAME(ret, name, args) #name,
static const char *const names[] = {GP_REAL_FUNCTIONS(GP_REAL_NAME)};
#undef GP_REAL_NAME

/* The table is read as an array of its slots. */
_Static_assert(sizeof(struct gp_real) == sizeof names / sizeof names[0] * sizeof(void *),
               "struct gp_real holds one function pointer per name, nothing else");

bool gp__real_broken;

/* Looks up slot i's name, stores the function in the slot, returns it. Keeps errno: the
 * call that got here may be one whose caller reads errno before and after. */
static void *bind_slot(size_t i)
{
    int saved = errno;
    void *fn = dlsym(RTLD_NEXT, names[i]);
    if (!fn) {
        gp__real_broken = true;
        gp__diag("libc has no %s; cannot continue", names[i]);
        _exit(2);
    }
    __atomic_store_n((void **)&gp__real + i, fn, __ATOMIC_RELEASE);
    errno = saved;
    return fn;
}

/* lazy_bind's call: the stub at address stub was called. */
__attribute__((visibility("hidden"), used)) void *gp__real_bind(uintptr_t stub)
{
    size_t i = (stub - (uintptr_t)gp__real_stubs) / STUB_SIZE;
    assert((stub - (uintptr_t)gp__real_stubs) % STUB_SIZE == 0 &&
           i < sizeof names / sizeof names[0]);
    return bind_slot(i);
}

void gp__real_bind_all(void)
{
    static bool all_bound;
    if (__atomic_load_n(&all_bound, __ATOMIC_ACQUIRE))
        return;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const void *stub = gp__real_stubs + i * STUB_SIZE;
        if (__atomic_load_n((void **)&gp__real + i, __ATOMIC_ACQUIRE) == stub)
            bind_slot(i);
    }
    __atomic_store_n(&all_bound, true, __ATOMIC_RELEASE);
}

static __thread bool resolving;
static bool resolved;

bool gp__real_resolve(void)
{
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
        return true;
    if (resolving)
        return false;
    resolving = true;
    /* The mutex functions are bound now, while the shim's gates know that dlsym may come
     * back through them: a program-supplied malloc locks with them, and dlsym may
     * allocate. Every other name is bound at its first call. */
    static const size_t early[] = {
        offsetof(struct gp_real, pthread_mutex_lock),
        offsetof(struct gp_real, pthread_mutex_trylock),
        offsetof(struct gp_real, pthread_mutex_unlock),
    };
    for (size_t k = 0; k < sizeof early / sizeof early[0]; k++)
        bind_slot(early[k] / sizeof(void *));
    __atomic_store_n(&resolved, true, __ATOMIC_RELEASE);
    resolving = false;
    return true;
}
