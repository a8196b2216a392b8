/* Seven threads, one of which ("hog") keeps the CPU for 50 ms without a call that could
 * let another thread run, while the others sleep, resolve localhost and exchange bytes through
 * a pipe; main joins them all. For GREENPATCH_STATS and GREENPATCH_LOG in
 * tests/test_tools.c: the summary counts 7 threads created and names the hog as the
 * longest holder of the OS thread. */
#include "tools_util.h"

#include <netdb.h>
#include <time.h>

enum { THREADS = 7, HOG_MS = 50 };

static int pipe_fds[2];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void *hog_thread(void *arg)
{
    (void)arg;
    volatile unsigned long spins = 0;
    for (double start = now_ms(); now_ms() - start < HOG_MS;)
        spins++;
    return NULL;
}

void *worker_thread(void *arg)
{
    long i = (long)(intptr_t)arg;
    struct timespec ts = {.tv_nsec = 10000000L};
    nanosleep(&ts, NULL);
    if (i == 1) {
        char c;
        DETECT_CHECK(read(pipe_fds[0], &c, 1) == 1, "read");
    } else if (i == 2) {
        DETECT_CHECK(write(pipe_fds[1], "x", 1) == 1, "write");
    } else if (i == 3) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
        DETECT_CHECK(getaddrinfo("localhost", "80", &hints, &res) == 0, "getaddrinfo");
        freeaddrinfo(res);
    }
    return NULL;
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    DETECT_CHECK(pipe(pipe_fds) == 0, "pipe");
    pthread_t t[THREADS];
    t[0] = tools_start(hog_thread, NULL, "hog");
    for (long i = 1; i < THREADS; i++)
        t[i] = tools_start(worker_thread, (void *)(intptr_t)i, "worker");
    for (int i = 0; i < THREADS; i++)
        tools_join(t[i], NULL);
    printf("%d threads made and joined\n", THREADS);
    return 0;
}
