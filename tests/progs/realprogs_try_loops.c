/* Loops that wait for another thread by trying again and again, with calls that answer
 * "not yet" at once: a zero timeout, a non-blocking fd, a try-lock, a timed lock whose time
 * is up, a sleep of no time, a try-join, WNOHANG.
 * Natively the other thread runs on another CPU meanwhile; under the shim it runs only
 * when the looping thread gives it a turn, so each loop ending at all proves that it did.
 * (Python's multiprocessing pool hung so: its worker-handler thread loops on a poll with a
 * zero timeout and waitpid WNOHANG while the result-handler thread waits to read.)
 *
 * In each case another thread (coop.h's ticker) sleeps its ticks and then does what ends
 * the loop: it writes a byte, releases a lock it holds, posts or returns. The loops are
 * bounded by TRIES_MAX; a loop that reaches it is a broken run. */
#include "coop.h"

#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define TRIES_MAX 2000000000L

static void check_ended(long tries, const char *what)
{
    if (tries >= TRIES_MAX) {
        fprintf(stderr, "%s: still not ready after %ld tries\n", what, tries);
        exit(1);
    }
}

static void make_pipe(int p[2]) { must_succeed(pipe(p) ? errno : 0, "pipe"); }

static void write_byte(void *arg)
{
    if (write(*(int *)arg, "x", 1) != 1)
        exit(1);
}

static void end_ticker(struct coop_ticker *t, const char *what)
{
    if (!coop_finish(t)) {
        fprintf(stderr, "%s: the ticker did not tick\n", what);
        exit(1);
    }
}

/* ---- the multiplexing calls with a zero timeout ---- */

enum zero_call { ZERO_POLL, ZERO_SELECT, ZERO_EPOLL };

static int ready_now(enum zero_call c, int fd, int epfd)
{
    switch (c) {
    case ZERO_POLL: {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, 0);
    }
    case ZERO_SELECT: {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(fd, &r);
        struct timeval zero = {0, 0};
        return select(fd + 1, &r, NULL, NULL, &zero);
    }
    default: {
        struct epoll_event e;
        return epoll_wait(epfd, &e, 1, 0);
    }
    }
}

static void zero_timeout(enum zero_call c, const char *name)
{
    int p[2];
    make_pipe(p);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN};
    must_succeed(epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &e) ? errno : 0, "epoll");
    struct coop_ticker t;
    coop_start(&t, name, write_byte, &p[1]);
    long tries = 0;
    int r = 0;
    while (tries < TRIES_MAX && (r = ready_now(c, p[0], epfd)) == 0)
        tries++;
    check_ended(tries, name);
    end_ticker(&t, name);
    printf("%s with a zero timeout until the ticker writes: %d\n", name, r);
    close(epfd);
    close(p[0]);
    close(p[1]);
}

/* ---- non-blocking reads ---- */

static void nonblocking_read(bool dontwait)
{
    const char *name = dontwait ? "recv MSG_DONTWAIT" : "read O_NONBLOCK";
    int s[2];
    must_succeed(socketpair(AF_UNIX, SOCK_STREAM, 0, s) ? errno : 0, "socketpair");
    if (!dontwait)
        fcntl(s[0], F_SETFL, fcntl(s[0], F_GETFL) | O_NONBLOCK);
    struct coop_ticker t;
    coop_start(&t, dontwait ? "dontwait" : "nonblock", write_byte, &s[1]);
    long tries = 0;
    ssize_t r = -1;
    char c = 0;
    while (tries < TRIES_MAX) {
        r = dontwait ? recv(s[0], &c, 1, MSG_DONTWAIT) : read(s[0], &c, 1);
        if (r >= 0 || errno != EAGAIN)
            break;
        tries++;
    }
    check_ended(tries, name);
    end_ticker(&t, name);
    printf("%s until the ticker writes: %zd '%c'\n", name, r, c);
    close(s[0]);
    close(s[1]);
}

/* ---- try-locks ---- */

/* A lock is released by the thread that holds it: a holder thread takes it, ticks, and
 * releases it, while the main thread tries; then the main thread holds it. */
struct lock_kind {
    const char *name;
    void (*take)(void);
    int (*try)(void);
    int not_yet; /* what try says while the holder has the lock */
    void (*release)(void);
};

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static sem_t sem;
static atomic_int held;

static void take_mutex(void) { pthread_mutex_lock(&mutex); }
static int try_mutex(void) { return pthread_mutex_trylock(&mutex); }
static void release_mutex(void) { pthread_mutex_unlock(&mutex); }
/* A timed lock whose time is up before it begins: a try that says ETIMEDOUT. */
static int timedlock_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return pthread_mutex_timedlock(&mutex, &now);
}
static void take_rwlock(void) { pthread_rwlock_rdlock(&rwlock); }
static int try_rwlock(void) { return pthread_rwlock_trywrlock(&rwlock); }
static void release_rwlock(void) { pthread_rwlock_unlock(&rwlock); }
static void take_spin(void) { pthread_spin_lock(&spin); }
static int try_spin(void) { return pthread_spin_trylock(&spin); }
static void release_spin(void) { pthread_spin_unlock(&spin); }

static void *holder_main(void *arg)
{
    const struct lock_kind *k = arg;
    k->take();
    atomic_store(&held, 1);
    struct coop_ticker t = {.where = k->name};
    atomic_init(&t.ticks, 0);
    coop_ticker_main(&t);
    k->release();
    return NULL;
}

static void try_until_released(const struct lock_kind *k)
{
    atomic_store(&held, 0);
    pthread_t holder = start_thread(NULL, holder_main, (void *)k);
    while (!atomic_load(&held))
        usleep(100);
    long tries = 0;
    int r = k->not_yet;
    while (tries < TRIES_MAX && (r = k->try()) == k->not_yet)
        tries++;
    check_ended(tries, k->name);
    join_or_die(holder);
    printf("%s until the holder releases it: %s\n", k->name, error_name(r));
    if (r == 0)
        k->release();
}

static void post_sem(void *arg) { (void)arg, sem_post(&sem); }

static void lock_tries(void)
{
    static const struct lock_kind kinds[] = {
        {"pthread_mutex_trylock", take_mutex, try_mutex, EBUSY, release_mutex},
        {"pthread_mutex_timedlock, its time up", take_mutex, timedlock_now, ETIMEDOUT,
         release_mutex},
        {"pthread_rwlock_trywrlock", take_rwlock, try_rwlock, EBUSY, release_rwlock},
        {"pthread_spin_trylock", take_spin, try_spin, EBUSY, release_spin},
    };
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        try_until_released(&kinds[i]);

    sem_init(&sem, 0, 0);
    struct coop_ticker t;
    coop_start(&t, "sem_trywait", post_sem, NULL);
    long tries = 0;
    int r = EAGAIN;
    while (tries < TRIES_MAX && (r = sem_trywait(&sem) == 0 ? 0 : errno) == EAGAIN)
        tries++;
    check_ended(tries, "sem_trywait");
    end_ticker(&t, "sem_trywait");
    printf("sem_trywait until the ticker posts: %s\n", error_name(r));
    sem_destroy(&sem);
}

/* ---- sleeps of no time ---- */

enum zero_sleep { SLEEP_USLEEP, SLEEP_NANOSLEEP, SLEEP_SLEEP, SLEEP_ABSTIME };

static atomic_int flag;

static void set_flag(void *arg) { (void)arg, atomic_store(&flag, 1); }

static void sleep_no_time(enum zero_sleep how)
{
    struct timespec zero = {0, 0}, now;
    switch (how) {
    case SLEEP_USLEEP:
        usleep(0);
        break;
    case SLEEP_NANOSLEEP:
        nanosleep(&zero, NULL);
        break;
    case SLEEP_SLEEP:
        sleep(0);
        break;
    default:
        clock_gettime(CLOCK_MONOTONIC, &now);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
        break;
    }
}

/* usleep(0) and the like (Python's time.sleep(0)) in a loop until another thread sets a
 * flag. */
static void zero_sleep(enum zero_sleep how, const char *name)
{
    atomic_store(&flag, 0);
    struct coop_ticker t;
    coop_start(&t, name, set_flag, NULL);
    long tries = 0;
    while (tries < TRIES_MAX && !atomic_load(&flag)) {
        sleep_no_time(how);
        tries++;
    }
    check_ended(tries, name);
    end_ticker(&t, name);
    printf("%s in a loop until the ticker sets a flag: set\n", name);
}

/* ---- pthread_tryjoin_np, waitpid WNOHANG ---- */

static void *ticks_then_returns(void *arg)
{
    struct coop_ticker t = {.where = "tryjoin"};
    atomic_init(&t.ticks, 0);
    coop_ticker_main(&t);
    return arg;
}

static void tryjoin(void)
{
    pthread_t th = start_thread(NULL, ticks_then_returns, (void *)"returned");
    long tries = 0;
    int r = EBUSY;
    void *result = NULL;
    while (tries < TRIES_MAX && (r = pthread_tryjoin_np(th, &result)) == EBUSY)
        tries++;
    check_ended(tries, "pthread_tryjoin_np");
    printf("pthread_tryjoin_np until the thread returns: %s, %s\n", error_name(r),
           (const char *)result);
}

/* The child waits for the byte that the parent's ticker writes. */
static void waitpid_nohang(void)
{
    int p[2];
    make_pipe(p);
    fflush(stdout);
    pid_t child = fork();
    must_succeed(child < 0 ? errno : 0, "fork");
    if (child == 0) {
        alarm(10);
        char c;
        _exit(read(p[0], &c, 1) == 1 ? 7 : 1);
    }
    struct coop_ticker t;
    coop_start(&t, "waitpid", write_byte, &p[1]);
    long tries = 0;
    pid_t r = 0;
    int status = 0;
    while (tries < TRIES_MAX && (r = waitpid(child, &status, WNOHANG)) == 0)
        tries++;
    check_ended(tries, "waitpid");
    end_ticker(&t, "waitpid");
    printf("waitpid WNOHANG until the child, woken by the ticker, exits: %s, status %d\n",
           r == child ? "the child" : "?", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    alarm(20);
    setvbuf(stdout, NULL, _IOLBF, 0);
    zero_timeout(ZERO_POLL, "poll");
    zero_timeout(ZERO_SELECT, "select");
    zero_timeout(ZERO_EPOLL, "epoll_wait");
    nonblocking_read(false);
    nonblocking_read(true);
    lock_tries();
    zero_sleep(SLEEP_USLEEP, "usleep(0)");
    zero_sleep(SLEEP_NANOSLEEP, "nanosleep(0)");
    zero_sleep(SLEEP_SLEEP, "sleep(0)");
    zero_sleep(SLEEP_ABSTIME, "clock_nanosleep(TIMER_ABSTIME, now)");
    tryjoin();
    waitpid_nohang();
    printf("done\n");
    return 0;
}
