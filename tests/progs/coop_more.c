/* The cooperative calls that no area's program reaches by name: creat of a FIFO (it waits
 * for a reader, as open(O_WRONLY) does), sigpause (<signal.h> makes it X/Open's
 * __xpg_sigpause: the signal is unblocked for the wait), and vprintf into the harness's
 * stdout pipe. Each waits while the ticker (coop.h) ticks and then ends the wait. */
#include "coop.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

static char dir[] = "/tmp/coop_more.XXXXXX";
static char fifo[sizeof dir + 8];
static int reader_fd = -1;

static void open_for_reading(void *unused)
{
    (void)unused;
    reader_fd = open(fifo, O_RDONLY);
    must_succeed(reader_fd < 0 ? errno : 0, "open the read end");
}

static void creat_of_a_fifo(void)
{
    must_succeed(mkdtemp(dir) ? 0 : errno, "mkdtemp");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    must_succeed(mkfifo(fifo, 0600) ? errno : 0, "mkfifo");
    struct coop_ticker t;
    coop_start(&t, "creat", open_for_reading, NULL);
    int fd = creat(fifo, 0600), err = errno, ticks = coop_ticks(&t);
    coop_finish(&t);
    must_succeed(fd < 0 ? err : 0, "creat");
    int flags = fcntl(fd, F_GETFL);
    ssize_t sent = write(fd, "x", 1);
    char c = 0;
    ssize_t got = read(reader_fd, &c, 1);
    printf("creat of a FIFO: waited for the reader: %s, O_NONBLOCK left: %s, "
           "a byte went through: %s\n",
           yes_no(ticks == COOP_TICKS), yes_no(flags & O_NONBLOCK),
           yes_no(sent == 1 && got == 1 && c == 'x'));
    close(fd);
    close(reader_fd);
    unlink(fifo);
    rmdir(dir);
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled = 1;
}

static pthread_t main_thread;

static void send_usr1(void *unused)
{
    (void)unused;
    pthread_kill(main_thread, SIGUSR1);
}

static void sigpause_until_a_signal(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    main_thread = pthread_self();
    struct coop_ticker t;
    coop_start(&t, "sigpause", send_usr1, NULL);
    /* Deprecated, but old programs call it: it must wait as it always did. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    int r = sigpause(SIGUSR1), err = errno, ticks = coop_ticks(&t);
#pragma GCC diagnostic pop
    coop_finish(&t);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("sigpause: %d %s, the ticker ran first: %s, handler ran: %s, "
           "SIGUSR1 blocked again after: %s\n",
           r, error_name(err), yes_no(ticks == COOP_TICKS), yes_no(handled),
           yes_no(sigismember(&now, SIGUSR1)));
}

static int print_with_vprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int main(void)
{
    alarm(10);
    creat_of_a_fifo();
    sigpause_until_a_signal();
    struct coop_ticker t;
    coop_start(&t, "vprintf", NULL, NULL);
    int n = print_with_vprintf("vprintf: %s %d\n", "a line of", 14);
    coop_finish(&t);
    printf("vprintf returned %d\n", n);
    return 0;
}
