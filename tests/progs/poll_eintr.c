/* Signals and the waiting calls of the poll, select and epoll families.
 *  - Each call waits (no timeout, then 5 s) on a pipe nobody writes; the ticker sends
 *    SIGUSR1 to the main thread. The handler was installed with SA_RESTART, and still the
 *    call fails with EINTR: these calls are never restarted (signal(7)). select's sets are
 *    left as they were, its timeval says the time left. poll with no fds (a sleep) too.
 *  - The calls that take a signal mask, with SIGUSR1 blocked in the thread's mask:
 *    a. the signal is already pending and the call's mask unblocks it: EINTR at once;
 *    b. the ticker sends it while the call waits with a mask that unblocks it: EINTR;
 *    c. the call's mask blocks SIGUSR1 (the thread's own does not): the ticker sends it,
 *       then writes a byte: the call returns 1, and the handler has run by the time it
 *       returns, once the thread's mask is back;
 *    after each, SIGUSR1 is blocked again (or unblocked) as before the call.
 * A bystander thread lives throughout, so that every call is made while other threads
 * exist. */
#include "poll_util.h"

static void send_usr1_then_write(void *arg)
{
    send_usr1(NULL);
    write_one_byte(arg);
}

static bool usr1_blocked(void)
{
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGUSR1);
}

static void set_usr1_blocked(bool blocked)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}

static void print_outcome(const char *what, enum wait_call c, const struct wait_outcome *o)
{
    char buf[64];
    printf("%s: %s: %s, %s, handler ran: %d time(s), SIGUSR1 blocked after: %s\n",
           wait_call_names[c], what, io_result(buf, sizeof buf, o->r, o->err), o->detail,
           (int)usr1_handled, yes_no(usr1_blocked()));
}

/* The ticker sends SIGUSR1 (then maybe writes a byte) while the call waits. */
static void interrupted(const char *what, enum wait_call c, int timeout_ms, const sigset_t *mask,
                        void (*wake)(void *))
{
    int p[2];
    make_pipe(p);
    struct coop_ticker t;
    struct wait_outcome o;
    usr1_handled = 0;
    coop_start(&t, wait_call_names[c], wake, &p[1]);
    wait_readable(c, p[0], timeout_ms, mask, &o);
    coop_finish(&t);
    print_outcome(what, c, &o);
    close_pipe(p);
}

static void pending_before_the_call(enum wait_call c, const sigset_t *unblocking)
{
    int p[2];
    make_pipe(p);
    struct wait_outcome o;
    usr1_handled = 0;
    set_usr1_blocked(true);
    send_usr1(NULL);
    wait_readable(c, p[0], -1, unblocking, &o);
    print_outcome("pending SIGUSR1, unblocked by the call's mask", c, &o);
    set_usr1_blocked(false);
    close_pipe(p);
}

static void sleep_interrupted(void)
{
    struct coop_ticker t;
    usr1_handled = 0;
    coop_start(&t, "poll-sleep", send_usr1, NULL);
    int r = poll(NULL, 0, -1), err = errno;
    coop_finish(&t);
    char buf[64];
    printf("poll with no fds, no timeout: %s, handler ran: %d time(s)\n",
           io_result(buf, sizeof buf, r, err), (int)usr1_handled);
}

int main(void)
{
    safety_alarm();
    catch_usr1(SA_RESTART);
    struct bystander b;
    bystander_start(&b);

    for (int c = 0; c < WAIT_CALLS; c++) {
        interrupted("SIGUSR1 (SA_RESTART) while it waits", c, -1, NULL, send_usr1);
        interrupted("SIGUSR1 (SA_RESTART) while it waits, 5 s timeout", c, 5000, NULL, send_usr1);
    }
    sleep_interrupted();

    sigset_t unblocking, blocking;
    sigemptyset(&unblocking);
    sigemptyset(&blocking);
    sigaddset(&blocking, SIGUSR1);
    for (int c = 0; c < WAIT_CALLS; c++) {
        if (!call_takes_mask(c))
            continue;
        pending_before_the_call(c, &unblocking);
        set_usr1_blocked(true);
        interrupted("SIGUSR1 while it waits, unblocked by its mask", c, -1, &unblocking,
                    send_usr1);
        set_usr1_blocked(false);
        interrupted("SIGUSR1 and a byte while it waits, SIGUSR1 blocked by its mask", c, -1,
                    &blocking, send_usr1_then_write);
    }
    bystander_stop(&b);
    printf("done\n");
    return 0;
}
