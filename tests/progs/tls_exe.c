/* Thread variables of the executable are per thread: counter (initialised to 42), zeroed
 * (in .tbss), block (1 KiB with a pattern at both ends, in .tdata) and big (64 KiB, .tbss).
 *
 *  - main first sets its own values, then 64 threads each start from the image (42, 0, the
 *    pattern, zeroes), fill the block with their own byte and, for 150 steps, change their
 *    counters, one byte of the block and three of big, set errno, let the others run
 *    (sched_yield, nanosleep, a read on a pipe that another thread fills later: tls_util.h)
 *    and check that they still see only their own values, directly and through the
 *    addresses they took at the start, and that &errno and &counter are the same as at the
 *    start (compiled code caches them);
 *  - main's values are untouched by all that;
 *  - 8 more threads, started after those ended by a thread with values of its own, start
 *    from the image too, and the starter keeps its values;
 *  - a thread that set its own values forks: the child sees that thread's values;
 *  - a handoff: one thread sets its variables and errno to 7 while another one waits, then a
 *    third thread starts after the first ended: each prints what it sees.
 *
 * With the argument "handoff" only the handoff runs, printing what the threads see without
 * judging it: under GREENPATCH_TLS=shared (all green threads share the OS thread's thread
 * variables, by request) they see 7 where natively they see 42 and 0. */
#include "tls_util.h"

#include <sys/wait.h>

enum { THREADS = 64, LATE_THREADS = 8, STEPS = 150, BLOCK = 1024, BIG = 64 * 1024, INITIAL = 42,
       HANDOFF = 7, STARTER = 555, FORKER = 77 };

/* Not static, so that the compiler cannot keep them in registers across calls. */
__thread long counter = INITIAL;
__thread long zeroed;
__thread unsigned char block[BLOCK] = {[0] = 0xA5, [BLOCK - 1] = 0x5A};
__thread unsigned char big[BIG];

/* The bytes of big that the threads write, and what each writes there. */
static const size_t big_spots[] = {0, BIG / 2, BIG - 1};

static void mark_big(unsigned char mark)
{
    for (size_t i = 0; i < sizeof big_spots / sizeof big_spots[0]; i++)
        big[big_spots[i]] = mark;
}

static bool big_marked(unsigned char mark)
{
    for (size_t i = 0; i < sizeof big_spots / sizeof big_spots[0]; i++)
        if (big[big_spots[i]] != mark)
            return false;
    return true;
}

static __attribute__((noipa)) long *counter_address(void) { return &counter; }

static bool initial_image(void)
{
    if (counter != INITIAL || zeroed != 0 || block[0] != 0xA5 || block[BLOCK - 1] != 0x5A ||
        !big_marked(0))
        return false;
    for (int i = 1; i < BLOCK - 1; i++)
        if (block[i] != 0)
            return false;
    return true;
}

static void check_initial_image(const char *who, int index)
{
    if (!initial_image())
        tls_fail("%s %d did not start from the image: counter %ld, zeroed %ld, block[0] %#x",
                 who, index, counter, zeroed, block[0]);
}

/* ---- many threads, each with its own values ---- */

static void *count_own(void *arg)
{
    int index = (int)(intptr_t)arg;
    check_initial_image("thread", index);
    long *const counter_at = counter_address();
    int *const errno_at = tls_errno_address();
    unsigned char shadow[BLOCK];
    memset(block, index, BLOCK);
    memcpy(shadow, block, BLOCK);
    for (int step = 0; step < STEPS; step++) {
        counter++;
        zeroed += 2;
        block[(step * 7) % BLOCK] = shadow[(step * 7) % BLOCK] = (unsigned char)(index + step);
        mark_big((unsigned char)(index + step));
        int own_errno = 1000 * (index + 1) + step;
        errno = own_errno;
        tls_yield(step);
        int seen_errno = errno;
        long seen_counter = counter, seen_zeroed = zeroed;
        if (seen_errno != own_errno || seen_counter != INITIAL + step + 1 ||
            seen_zeroed != 2 * (step + 1) || *counter_at != seen_counter ||
            counter_address() != counter_at || tls_errno_address() != errno_at ||
            memcmp(block, shadow, BLOCK) != 0 || !big_marked((unsigned char)(index + step))) {
            tls_fail("thread %d after step %d (yield kind %d): errno %d (own %d), counter %ld "
                     "(own %ld), zeroed %ld (own %d), through its address %ld, &counter "
                     "moved: %s, &errno moved: %s, block its own: %s, big its own: %s",
                     index, step, step % TLS_YIELD_KINDS, seen_errno, own_errno, seen_counter,
                     (long)INITIAL + step + 1, seen_zeroed, 2 * (step + 1), *counter_at,
                     yes_no(counter_address() != counter_at),
                     yes_no(tls_errno_address() != errno_at),
                     yes_no(memcmp(block, shadow, BLOCK) == 0),
                     yes_no(big_marked((unsigned char)(index + step))));
            break;
        }
    }
    return NULL;
}

/* Runs count threads, with a feeder for their pipe reads; true when none failed. */
static bool run_counting_threads(int count, const char *where)
{
    int before = tls_failures();
    pthread_t feeder = tls_feeder_start(count * tls_pipe_reads(STEPS));
    pthread_t threads[THREADS];
    for (int i = 0; i < count; i++)
        threads[i] = start_thread(NULL, count_own, (void *)(intptr_t)i);
    report_os_threads(where);
    for (int i = 0; i < count; i++)
        join_or_die(threads[i]);
    join_or_die(feeder);
    return tls_failures() == before;
}

/* Starts the late threads from a thread with values of its own; returns whether all kept
 * theirs, the starter included. */
static void *start_late_threads(void *arg)
{
    (void)arg;
    counter = STARTER;
    mark_big(STARTER & 0xFF);
    bool kept = run_counting_threads(LATE_THREADS, "late-alive");
    if (counter != STARTER || !big_marked(STARTER & 0xFF)) {
        tls_fail("the starter's values changed: counter %ld", counter);
        kept = false;
    }
    return (void *)(intptr_t)kept;
}

/* ---- fork from a thread ---- */

static void *set_and_fork(void *arg)
{
    (void)arg;
    counter = FORKER;
    block[0] = FORKER;
    mark_big(FORKER);
    long *const counter_at = counter_address();
    sched_yield();
    pid_t child = fork();
    if (child == 0)
        _exit(counter == FORKER && block[0] == FORKER && big_marked(FORKER) &&
                      counter_address() == counter_at
                  ? 0
                  : 1);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child)
        must_succeed(errno, "fork and waitpid");
    return (void *)(intptr_t)(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the handoff ---- */

static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handoff_cond = PTHREAD_COND_INITIALIZER;
static int handoff_stage; /* under handoff_lock: 1 once the setter has set, 2 once seen */

struct sight {
    long counter, zeroed;
    unsigned char block_first;
    bool errno_kept;
};

static void look(struct sight *s)
{
    s->counter = counter;
    s->zeroed = zeroed;
    s->block_first = block[0];
}

static void *set_to_handoff(void *arg)
{
    struct sight *s = arg;
    counter = zeroed = HANDOFF;
    block[0] = HANDOFF;
    errno = HANDOFF;
    pthread_mutex_lock(&handoff_lock);
    handoff_stage = 1;
    pthread_cond_broadcast(&handoff_cond);
    while (handoff_stage != 2)
        pthread_cond_wait(&handoff_cond, &handoff_lock);
    pthread_mutex_unlock(&handoff_lock);
    s->errno_kept = errno == HANDOFF;
    look(s);
    return NULL;
}

static void *wait_then_look(void *arg)
{
    struct sight *s = arg;
    errno = 8;
    pthread_mutex_lock(&handoff_lock);
    while (handoff_stage != 1)
        pthread_cond_wait(&handoff_cond, &handoff_lock);
    s->errno_kept = errno == 8;
    look(s);
    handoff_stage = 2;
    pthread_cond_broadcast(&handoff_cond);
    pthread_mutex_unlock(&handoff_lock);
    return NULL;
}

static void *look_at_start(void *arg)
{
    struct sight *s = arg;
    look(s);
    s->errno_kept = true;
    return NULL;
}

static void print_sight(const char *who, const struct sight *s)
{
    printf("handoff: %s sees: counter %ld, zeroed %ld, block[0] %#x, its errno kept: %s\n", who,
           s->counter, s->zeroed, s->block_first, yes_no(s->errno_kept));
}

/* Prints what each thread saw; with judge, a thread that saw the setter's values fails. */
static void handoff(bool judge)
{
    struct sight setter, waiter, late;
    pthread_t waiting = start_thread(NULL, wait_then_look, &waiter);
    join_or_die(start_thread(NULL, set_to_handoff, &setter));
    join_or_die(waiting);
    join_or_die(start_thread(NULL, look_at_start, &late));
    print_sight("the thread that set its variables and errno to 7", &setter);
    print_sight("a thread that waited meanwhile", &waiter);
    print_sight("a thread started after that one ended", &late);
    if (judge && (waiter.counter != INITIAL || late.counter != INITIAL || !waiter.errno_kept ||
                  setter.counter != HANDOFF || !setter.errno_kept))
        tls_fail("handoff: the waiting or the late thread saw the setter's values");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(TLS_ALARM_S);
    if (argc > 1 && strcmp(argv[1], "handoff") == 0) {
        printf("tls_exe handoff\n");
        handoff(false);
        return 0;
    }
    printf("tls_exe start\n");
    counter = 1000;
    zeroed = 1000;
    memset(block, 0xEE, BLOCK);
    long *const main_counter_at = counter_address();

    bool kept = run_counting_threads(THREADS, "workers-alive");
    printf("%d threads, %d steps each, started from the image and kept their own counters, "
           "block, errno, &errno and cached addresses across every yield: %s\n",
           THREADS, STEPS, yes_no(kept));
    bool main_kept = counter == 1000 && zeroed == 1000 && block[0] == 0xEE &&
                     block[BLOCK - 1] == 0xEE && counter_address() == main_counter_at;
    printf("main's values kept while they ran: %s\n", yes_no(main_kept));
    if (!main_kept)
        tls_fail("main's values changed: counter %ld, zeroed %ld, block[0] %#x", counter, zeroed,
                 block[0]);
    kept = join_or_die(start_thread(NULL, start_late_threads, NULL)) != NULL;
    printf("%d threads started after those ended, by a thread with values of its own, did the "
           "same, and the starter kept its values: %s\n", LATE_THREADS, yes_no(kept));
    bool child_saw = join_or_die(start_thread(NULL, set_and_fork, NULL)) != NULL;
    printf("the fork child of a thread sees that thread's values: %s\n", yes_no(child_saw));
    if (!child_saw)
        tls_fail("the fork child did not see its thread's values");
    handoff(true);
    return tls_exit_status();
}
