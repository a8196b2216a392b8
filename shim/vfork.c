/* vfork() children share the parent's memory and run on the calling green thread's stack
 * until they exec or _exit, with that thread's TLS: to the shim they would look like the
 * green thread itself, and an interposed call (close, write, a signal handler's
 * trampoline) would work on the parent's scheduler and hub from the child. The child runs
 * with gp__current NULL instead, as an OS thread the scheduler does not run: every
 * interposed call it makes is the plain libc call, and a handler runs at once, as
 * natively; and with gp__signal_vfork_child set, so that its sigaction changes its own
 * signal table only (runtime/signals.c). The parent, resumed once the child has exec'd or
 * exited, clears that and puts its green thread back. The parent's own wait for that moment cannot be made cooperative: the
 * kernel suspends the calling OS thread, which is every green thread's.
 *
 * As glibc's vfork (sysdeps/unix/sysv/linux/x86_64/vfork.S, 2.36), the return address is
 * kept in a register, not on the stack the child goes on to use; so is the green thread.
 * Interposes: vfork, __vfork. */
#include "shim.h"

#include <sys/syscall.h>
#include <unistd.h>

/* errno for a failed vfork (the syscall's -errno in err). */
__attribute__((visibility("hidden"), used)) pid_t gp__vfork_failed(long err)
{
    errno = (int)-err;
    return -1;
}

#define GP_STR(x) #x
#define GP_XSTR(x) GP_STR(x)

GP_EXPORT __attribute__((naked)) pid_t vfork(void)
{
    __asm__(
        /* The return address into rdi, the green thread into rsi, gp__current's TLS offset
         * into rdx: the syscall keeps all three, in the parent and in the child. */
        "popq %rdi\n\t"
        "movq gp__current@gottpoff(%rip), %rdx\n\t"
        "movq %fs:(%rdx), %rsi\n\t"
        "movq $0, %fs:(%rdx)\n\t"
        "movl $" GP_XSTR(SYS_vfork) ", %eax\n\t"
        "syscall\n\t"
        "pushq %rdi\n\t"
        /* rcx: the flag's TLS offset (the syscall clobbered rcx; it is the caller's). */
        "movq gp__signal_vfork_child@gottpoff(%rip), %rcx\n\t"
        "testq %rax, %rax\n\t"
        "jz 3f\n\t"
        /* The parent, resumed (or vfork failed): its green thread again. */
        "movb $0, %fs:(%rcx)\n\t"
        "movq %rsi, %fs:(%rdx)\n\t"
        "cmpq $-4095, %rax\n\t"
        "jae 2f\n\t"
        "ret\n\t"
        "2:\n\t"
        "movq %rax, %rdi\n\t"
        "jmp gp__vfork_failed\n\t"
        /* The child. */
        "3:\n\t"
        "movb $1, %fs:(%rcx)\n\t"
        "ret\n\t");
}

GP_EXPORT pid_t __vfork(void) __attribute__((alias("vfork"), copy(vfork)));
