/* A program that never creates a thread, the case the shim must leave at native speed and
 * unchanged: prints a line first thing in main (tests of bad GREENPATCH_* settings check
 * that main never ran), reads stdin line by line, counts the lines under a mutex, waits on a
 * cond with a deadline (ETIMEDOUT: nobody signals), sleeps briefly, writes each line back
 * upper-cased and numbered, and exits with status 3. */
#include "thread_prog.h"

#include <ctype.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static int lines_seen;

int main(void)
{
    printf("no_threads start\n");
    fflush(stdout);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, stdin)) > 0) {
        pthread_mutex_lock(&count_lock);
        int number = ++lines_seen;
        pthread_mutex_unlock(&count_lock);
        for (ssize_t i = 0; i < length; i++)
            line[i] = (char)toupper((unsigned char)line[i]);
        printf("%d: %s", number, line);
    }
    free(line);

    struct timespec deadline = deadline_in(CLOCK_REALTIME, 20);
    pthread_mutex_lock(&count_lock);
    int rc = pthread_cond_timedwait(&never_signalled, &count_lock, &deadline);
    pthread_mutex_unlock(&count_lock);
    printf("timedwait with nobody signalling: %s\n", error_name(rc));
    printf("usleep(10 ms): %d\n", usleep(10000));
    printf("%d lines\n", lines_seen);
    report_os_threads("end");
    return 3;
}
