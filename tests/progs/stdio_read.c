/* stdio input on sockets, pipes and a terminal, each time with the data arriving from
 * another thread while the main thread waits inside the stdio call:
 *  - fgets on a socket, the line arriving in three pieces (the coop ticker's wake sends
 *    them): the call returns only with the whole line;
 *  - 300 lines read with fgets from a socket while a writer thread sends each line in
 *    pieces with pauses between: no byte lost, no error, EOF at the end;
 *  - getline on a pipe, with a line much longer than the FILE's buffer, and getdelim;
 *  - fread of 200000 bytes arriving in chunks, of items cut by EOF, at EOF;
 *  - fgetc, getc and getchar (stdin replaced by a pipe);
 *  - ungetc before a wait, and a read+write stream whose buffered output goes out
 *    before the read waits (the peer answers it);
 *  - a terminal (a pty): line-buffered input, a read that waits for the line;
 *  - the error and EOF flags and errno: SO_RCVTIMEO expiry (EAGAIN), a connection reset
 *    (ECONNRESET), a signal handler without SA_RESTART (EINTR) and with it (the read goes
 *    on), a non-blocking fd (EAGAIN at once), a last line without a newline.
 * The results are printed and compared with the native run. */
#include "stdio_util.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <termios.h>

static void fgets_pieces(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"hel", "lo wo", "rld\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    struct coop_ticker t;
    char line[64];
    coop_start(&t, "fgets", feed, &f);
    char *r = fgets(line, sizeof line, in);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("fgets of a line sent in 3 pieces: \"%s\" after %d ticks, %s\n",
           r ? shown(line) : "NULL", ticks, flags_of(in));
    fclose(in);
    close(fds[1]);
}

enum { LINES = 300 };

static void format_line(char *buf, size_t size, int i)
{
    snprintf(buf, size, "line %03d: %.*s\n", i, i % 50, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

/* Each line goes out in two or three write() calls, with pauses. */
static void *line_writer(void *arg)
{
    int fd = *(int *)arg;
    for (int i = 0; i < LINES; i++) {
        char line[128];
        format_line(line, sizeof line, i);
        size_t len = strlen(line), cut = len / 3;
        write_all(fd, line, cut);
        if (i % 7 == 0)
            usleep(PAUSE_US / 4);
        write_all(fd, line + cut, len - cut - 1);
        if (i % 5 == 0)
            usleep(PAUSE_US / 4);
        write_all(fd, line + len - 1, 1);
    }
    MUST(shutdown(fd, SHUT_WR) == 0, "shutdown");
    return NULL;
}

static void fgets_many_lines(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    pthread_t w = start_thread(NULL, line_writer, &fds[1]);
    int intact = 0;
    char got[128], want[128];
    while (fgets(got, sizeof got, in)) {
        format_line(want, sizeof want, intact);
        MUST(strcmp(got, want) == 0, "a line arrived damaged");
        intact++;
    }
    join_or_die(w);
    printf("fgets read %d of %d lines sent in pieces, %s\n", intact, LINES, flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void getline_on_a_pipe(void)
{
    int fds[2];
    pipe_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    static char longline[10002];
    memset(longline, 'x', 10000);
    longline[10000] = '\n';
    const char *pieces[] = {"short\n", "a line ", "in two pieces\n", longline, "tail;a;b", ";c", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    pthread_t w = start_thread(NULL, feed_thread, &f);
    char *line = NULL;
    size_t cap = 0;
    for (int i = 0; i < 3; i++) {
        ssize_t n = getline(&line, &cap, in);
        printf("getline: %zd bytes%s%s\n", n, n < 40 && n > 0 ? ": " : "",
               n < 40 && n > 0 ? shown(line) : "");
    }
    for (int i = 0; i < 5; i++) {
        ssize_t n = getdelim(&line, &cap, ';', in);
        printf("getdelim ';': %zd%s%s, %s\n", n, n > 0 ? " " : "", n > 0 ? line : "",
               flags_of(in));
    }
    free(line);
    join_or_die(w);
    fclose(in);
}

static void fread_pieces(void)
{
    enum { BIG = 200000 };
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    struct pattern_feeder f = {.fd = fds[1], .total = BIG + 10, .chunk = 7000, .close_after = true};
    pthread_t w = start_thread(NULL, pattern_feed_thread, &f);
    char *buf = malloc(BIG);
    MUST(buf != NULL, "malloc");
    size_t n = fread(buf, 1, BIG, in);
    printf("fread of %d bytes arriving in 7000-byte chunks: %zu, pattern %s, %s\n", BIG, n,
           yes_no(is_pattern(buf, n, 0)), flags_of(in));
    n = fread(buf, 4, 5, in); /* 10 bytes left, then EOF: two whole items */
    printf("fread of 5 4-byte items with 10 bytes before EOF: %zu, pattern %s, %s\n", n,
           yes_no(is_pattern(buf, 10, BIG)), flags_of(in));
    n = fread(buf, 1, 100, in);
    printf("fread at EOF: %zu, %s\n", n, flags_of(in));
    free(buf);
    join_or_die(w);
    fclose(in);
}

static void getc_family(void)
{
    int fds[2];
    pipe_pair(fds);
    MUST(dup2(fds[0], 0) == 0, "dup2");
    close(fds[0]);
    FILE *in = stdin;
    const char *pieces[] = {"A", "B", "C", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    struct coop_ticker t;
    coop_start(&t, "getc", feed, &f);
    int a = fgetc(in);
    int ticks = coop_ticks(&t);
    int b = getc(in);
    int c = getchar();
    int d = getchar();
    coop_finish(&t);
    printf("fgetc after %d ticks: %c, getc: %c, getchar: %c, then %d, %s\n", ticks, a, b, c, d,
           flags_of(in));
}

static void ungetc_then_wait(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"first\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    feed(&f);
    char line[64];
    MUST(fgets(line, sizeof line, in) != NULL, "fgets");
    printf("ungetc: %c\n", ungetc('>', in));
    const char *more[] = {"sec", "ond\n", NULL};
    f.pieces = more;
    struct coop_ticker t;
    coop_start(&t, "ungetc", feed, &f);
    char *r = fgets(line, sizeof line, in);
    coop_finish(&t);
    printf("fgets after ungetc: \"%s\", %s\n", r ? shown(line) : "NULL", flags_of(in));
    fclose(in);
    close(fds[1]);
}

/* The peer answers only what it received: the request must leave the buffer before the
 * read waits. */
static void *answer(void *arg)
{
    int fd = *(int *)arg;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    MUST(n > 0, "read request");
    buf[n] = '\0';
    char reply[128];
    snprintf(reply, sizeof reply, "got %s", buf);
    write_all(fd, reply, strlen(reply));
    return NULL;
}

static void read_write_stream(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *rw = open_stream(fds[0], "r+");
    pthread_t peer = start_thread(NULL, answer, &fds[1]);
    fprintf(rw, "ping\n"); /* buffered: fully buffered socket stream */
    char line[64];
    char *r = fgets(line, sizeof line, rw);
    join_or_die(peer);
    printf("r+ stream: request flushed before the read, answer \"%s\", %s\n",
           r ? shown(line) : "NULL", flags_of(rw));
    fclose(rw);
    close(fds[1]);
}

static void terminal(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    MUST(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0, "posix_openpt");
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    MUST(slave >= 0, "open pty slave");
    struct termios tio;
    MUST(tcgetattr(slave, &tio) == 0, "tcgetattr");
    tio.c_lflag &= ~(tcflag_t)ECHO;
    MUST(tcsetattr(slave, TCSANOW, &tio) == 0, "tcsetattr");
    FILE *in = open_stream(slave, "r");
    const char *pieces[] = {"typed ", "line\n", NULL};
    struct feeder f = {.fd = master, .pieces = pieces};
    struct coop_ticker t;
    char line[64];
    coop_start(&t, "terminal", feed, &f);
    char *r = fgets(line, sizeof line, in);
    int ticks = coop_ticks(&t);
    coop_finish(&t);
    printf("fgets on a terminal: \"%s\" after %d ticks, %s\n", r ? shown(line) : "NULL", ticks,
           flags_of(in));
    fclose(in);
    close(master);
}

static void receive_timeout(void)
{
    int fds[2];
    socket_pair(fds);
    struct timeval tv = {.tv_usec = 20000};
    MUST(setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO");
    FILE *in = open_stream(fds[0], "r");
    char line[64];
    errno = 0;
    char *r = fgets(line, sizeof line, in);
    printf("fgets with SO_RCVTIMEO and no data: %s %s, %s\n", r ? "line" : "NULL",
           error_name(errno), flags_of(in));
    clearerr(in);
    const char *pieces[] = {"late\n", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces};
    feed(&f);
    r = fgets(line, sizeof line, in);
    printf("fgets after clearerr: \"%s\", %s\n", r ? shown(line) : "NULL", flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void reset_now(void *arg)
{
    int fd = *(int *)arg;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    MUST(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER");
    MUST(close(fd) == 0, "close");
}

static void connection_reset(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    MUST(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 1) == 0 &&
             getsockname(lfd, (struct sockaddr *)&a, &alen) == 0,
         "listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    MUST(c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    int s = accept(lfd, NULL, NULL);
    MUST(s >= 0, "accept");
    close(lfd);
    FILE *in = open_stream(c, "r");
    struct coop_ticker t;
    char line[64];
    coop_start(&t, "reset", reset_now, &s);
    errno = 0;
    char *r = fgets(line, sizeof line, in);
    int err = errno;
    coop_finish(&t);
    printf("fgets when the peer resets: %s %s, %s\n", r ? "line" : "NULL", error_name(err),
           flags_of(in));
    fclose(in);
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

struct poke {
    pthread_t target;
    int fd;
    const char *after; /* written after the signal, or NULL */
};

static void poke(void *arg)
{
    struct poke *p = arg;
    MUST(pthread_kill(p->target, SIGUSR1) == 0, "pthread_kill");
    usleep(PAUSE_US * 5);
    if (p->after)
        write_all(p->fd, p->after, strlen(p->after));
}

static void signal_during_fgets(bool restart)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    int fds[2];
    socket_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    struct poke p = {.target = pthread_self(), .fd = fds[1], .after = restart ? "after\n" : NULL};
    struct coop_ticker t;
    char line[64];
    handled = 0;
    coop_start(&t, "signal", poke, &p);
    errno = 0;
    char *r = fgets(line, sizeof line, in);
    int err = errno;
    coop_finish(&t);
    printf("fgets and a handler %s SA_RESTART: %s %s, handler ran %d, %s\n",
           restart ? "with" : "without", r ? shown(line) : "NULL", r ? "" : error_name(err),
           (int)handled, flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void nonblocking_fd(void)
{
    int fds[2];
    socket_pair(fds);
    MUST(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
    FILE *in = open_stream(fds[0], "r");
    char line[64];
    errno = 0;
    char *r = fgets(line, sizeof line, in);
    printf("fgets on an empty non-blocking socket: %s %s, %s\n", r ? "line" : "NULL",
           error_name(errno), flags_of(in));
    fclose(in);
    close(fds[1]);
}

static void last_line_without_newline(void)
{
    int fds[2];
    pipe_pair(fds);
    FILE *in = open_stream(fds[0], "r");
    const char *pieces[] = {"no newline", NULL};
    struct feeder f = {.fd = fds[1], .pieces = pieces, .close_after = true};
    struct coop_ticker t;
    char line[64];
    coop_start(&t, "eof", feed, &f);
    char *r = fgets(line, sizeof line, in);
    coop_finish(&t);
    printf("fgets of a last line without newline: \"%s\", %s\n", r ? line : "NULL", flags_of(in));
    r = fgets(line, sizeof line, in);
    printf("fgets at EOF: %s, %s\n", r ? line : "NULL", flags_of(in));
    fclose(in);
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    signal(SIGPIPE, SIG_IGN);
    fgets_pieces();
    fgets_many_lines();
    getline_on_a_pipe();
    fread_pieces();
    getc_family();
    ungetc_then_wait();
    read_write_stream();
    terminal();
    receive_timeout();
    connection_reset();
    signal_during_fgets(false);
    signal_during_fgets(true);
    nonblocking_fd();
    last_line_without_newline();
    printf("done\n");
    return 0;
}
