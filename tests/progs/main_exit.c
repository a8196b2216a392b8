/* main calls pthread_exit while three threads still sleep (100, 200 and 300 ms). The process
 * must live on until the last of them ends, each prints in turn, and then the process exits
 * with status 0 and runs its atexit handler, as glibc does when the last thread exits. */
#include "thread_prog.h"

#include <stdint.h>
#include <unistd.h>

enum { WORKERS = 3 };

static void announce_exit(void) { printf("atexit handler ran\n"); }

static void *sleep_then_print(void *arg)
{
    int index = (int)(intptr_t)arg;
    usleep(100000 * (useconds_t)(index + 1));
    printf("worker %d done\n", index);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("main_exit start\n");
    atexit(announce_exit);
    for (int i = 0; i < WORKERS; i++)
        start_thread(NULL, sleep_then_print, (void *)(intptr_t)i);
    report_os_threads("workers-alive");
    printf("main calls pthread_exit\n");
    pthread_exit(NULL);
}
