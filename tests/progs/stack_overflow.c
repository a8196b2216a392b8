/* Stack use in a thread with default attributes. `stack_overflow bounded` recurses about
 * 200 KiB deep and prints a line when it comes back; this must fit the shim's default green
 * stack. `stack_overflow unbounded` recurses without a useful bound (2 KiB frames, up to
 * 1 GiB in all), so the process dies with SIGSEGV, natively at the thread's guard page and
 * under the shim at the guard page of the green stack, where the shim is expected to say on
 * stderr that the stack overflowed and that GREENPATCH_STACK_SIZE sets its size. */
#include "thread_prog.h"

#include <stdint.h>

static void *recurse(void *depth)
{
    report_os_threads("recursing");
    return (void *)(uintptr_t)use_stack((unsigned)(uintptr_t)depth, NULL);
}

int main(int argc, char **argv)
{
    printf("stack_overflow start\n");
    fflush(stdout);
    unsigned depth;
    if (argc == 2 && strcmp(argv[1], "bounded") == 0)
        depth = (200u << 10) / STACK_FRAME_BYTES;
    else if (argc == 2 && strcmp(argv[1], "unbounded") == 0)
        depth = (1u << 30) / STACK_FRAME_BYTES;
    else {
        fprintf(stderr, "usage: %s bounded|unbounded\n", argv[0]);
        return 64;
    }
    unsigned frames = (unsigned)(uintptr_t)join_or_die(start_thread(NULL, recurse,
                                                                    (void *)(uintptr_t)depth));
    printf("recursion %u deep came back, every frame intact: %s\n", depth,
           yes_no(frames == depth + 1));
    return 0;
}
