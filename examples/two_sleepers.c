/* two_sleepers: two green threads that sleep and print in turn, the C form of the eventlet
 * example
 *
 *     def task1(): print("Task 1 starts"); eventlet.sleep(2); print("Task 1 ends")
 *     def task2(): print("Task 2 starts"); eventlet.sleep(1); print("Task 2 ends")
 *     eventlet.spawn(task1); eventlet.spawn(task2); eventlet.sleep(3)
 *
 * with tenths of a second instead of seconds. gp_spawn starts a task as a green thread; it
 * runs once main waits. gp_sleep lets the other green threads run meanwhile, so that both
 * tasks sleep at the same time and the whole run takes 0.3 s, not 0.5 s. A plain sleep(),
 * usleep() or nanosleep() would do the same here: in a program linked with -lgreenpatch
 * (or running under the preload) the blocking libc calls switch to another green thread
 * too, where in eventlet an unpatched time.sleep() blocks them all.
 *
 * Build: cc two_sleepers.c $(pkg-config --cflags --libs greenpatch)
 * Output, always in this order:
 *     main: spawned both tasks
 *     Task 1 starts
 *     Task 2 starts
 *     Task 2 ends
 *     Task 1 ends
 *     main: task 1 returned "one", task 2 returned "two"
 */
#include "greenpatch.h"

#include <stdio.h>
#include <unistd.h>

/* What is printed goes to stdout at once, even into a pipe, so that the lines keep the
 * order in which the green threads printed them. */
static void say(const char *line)
{
    puts(line);
    fflush(stdout);
}

static void *task1(void *arg)
{
    (void)arg;
    say("Task 1 starts");
    gp_sleep(GP_MSEC(200)); /* the other green threads run meanwhile */
    say("Task 1 ends");
    return "one";
}

static void *task2(void *arg)
{
    (void)arg;
    say("Task 2 starts");
    gp_sleep(GP_MSEC(100));
    say("Task 2 ends");
    return "two";
}

int main(void)
{
    alarm(10); /* an example that hangs ends itself */

    /* The first gp_spawn turns main into a green thread too. The tasks do not run yet:
     * they start, in spawn order, when main waits. */
    gp_thread_t t1, t2;
    if (gp_spawn(&t1, task1, NULL) != 0 || gp_spawn(&t2, task2, NULL) != 0) {
        fprintf(stderr, "two_sleepers: gp_spawn failed\n");
        return 1;
    }
    say("main: spawned both tasks");

    /* eventlet.sleep(3): main waits, and the tasks run. */
    gp_sleep(GP_MSEC(300));

    /* Unlike eventlet's example, we also collect what the tasks returned: gp_join waits
     * for a thread to end (here they already have) and hands over its result. */
    void *r1, *r2;
    if (gp_join(t1, &r1) != 0 || gp_join(t2, &r2) != 0) {
        fprintf(stderr, "two_sleepers: gp_join failed\n");
        return 1;
    }
    printf("main: task 1 returned \"%s\", task 2 returned \"%s\"\n", (char *)r1, (char *)r2);
    return 0;
}
