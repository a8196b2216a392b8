/* stdout is the pipe the test harness reads, made as small as Linux allows: the main
 * thread prints 3000 lines to it, with printf, puts, fputs, putchar, fwrite and
 * fprintf(stdout), while a second thread ticks. Every time the pipe is full the printer
 * waits for the harness to read; under the shim that wait must let the other thread run
 * instead of stopping the only OS thread. The harness compares every line with the native
 * run. */
#include "stdio_util.h"

enum { LINES = 3000 };

int main(void)
{
    alarm(STDIO_ALARM_S);
    fcntl(1, F_SETPIPE_SZ, 4096); /* fails harmlessly when stdout is not a pipe */
    struct coop_ticker t;
    coop_start(&t, "stdout", NULL, NULL);
    for (int i = 0; i < LINES; i++) {
        switch (i % 6) {
        case 0:
            printf("line %04d from printf, %s\n", i, "with an argument");
            break;
        case 1:
            puts("a line from puts");
            break;
        case 2:
            fputs("a line from fputs\n", stdout);
            break;
        case 3:
            for (const char *p = "a line from putchar\n"; *p; p++)
                putchar(*p);
            break;
        case 4:
            fwrite("a line from fwrite\n", 1, 19, stdout);
            break;
        default:
            fprintf(stdout, "line %04d from fprintf\n", i);
        }
    }
    coop_finish(&t);
    printf("done\n");
    return 0;
}
