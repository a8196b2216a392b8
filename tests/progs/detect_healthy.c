/* A healthy program under load: PAIRS pairs of threads exchange small messages over pipes
 * with blocking reads and writes for RUN_S seconds of wall time. Every thread waits often,
 * so none holds the OS thread for long under the shim: the blocking detector must stay
 * silent. With REPORT_OS_THREADS=1 it reports its OS thread count while every thread runs
 * (under the shim: 1, and 2 with the detector's watchdog). */
#include "detect_util.h"
#include "thread_prog.h"

#include <stdbool.h>

#define PAIRS 8
#define RUN_S 1.0

struct pair {
    int requests[2], replies[2];
    bool correct;
    bool first; /* its pinger reports the OS thread count */
};

static void write_int(int fd, int v) { DETECT_CHECK(write(fd, &v, sizeof v) == sizeof v, "write"); }

static bool read_int(int fd, int *v) { return read(fd, v, sizeof *v) == sizeof *v; }

static void *pinger(void *arg)
{
    struct pair *p = arg;
    p->correct = true;
    double start = detect_now_s();
    for (int i = 0; detect_now_s() - start < RUN_S; i++) {
        write_int(p->requests[1], i);
        int reply;
        DETECT_CHECK(read_int(p->replies[0], &reply), "read reply");
        p->correct = p->correct && reply == i + 1;
        if (i == 0 && p->first)
            report_os_threads("running");
    }
    close(p->requests[1]);
    return NULL;
}

static void *replier(void *arg)
{
    struct pair *p = arg;
    int v;
    while (read_int(p->requests[0], &v))
        write_int(p->replies[1], v + 1);
    return NULL;
}

int main(void)
{
    alarm(DETECT_SAFETY_ALARM_S);
    static struct pair pairs[PAIRS];
    pthread_t threads[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pairs[i].first = i == PAIRS - 1; /* the last started: every thread exists */
        DETECT_CHECK(pipe(pairs[i].requests) == 0 && pipe(pairs[i].replies) == 0, "pipe");
        threads[2 * i] = detect_start(replier, &pairs[i]);
        threads[2 * i + 1] = detect_start(pinger, &pairs[i]);
    }
    bool correct = true;
    for (int i = 0; i < 2 * PAIRS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < PAIRS; i++)
        correct = correct && pairs[i].correct;
    printf("%d pairs exchanged messages for %.1f s: replies %s\n", PAIRS, RUN_S,
           correct ? "correct" : "WRONG");
    return correct ? 0 : 1;
}
