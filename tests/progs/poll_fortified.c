/* Built with _FORTIFY_SOURCE=2: glibc's headers send poll and ppoll on an array of known
 * size to __poll_chk and __ppoll_chk, read, recv and recvfrom into an array of known size
 * with a count that is not a constant to __read_chk, __recv_chk and __recvfrom_chk, and an
 * open whose flags are not a constant to __open_2 (and openat to __openat_2). Each waits while the ticker (coop.h) ticks and
 * then writes the byte, or opens the FIFO's other end. */
#include "poll_util.h"

#include <stdlib.h>
#include <sys/stat.h>

static char dir[] = "/tmp/poll_fortified.XXXXXX";
static char path[sizeof dir + 8];

struct other_end {
    int flags;
    int fd;
};

static void open_writer(void *arg)
{
    struct other_end *o = arg;
    o->fd = open(path, o->flags);
    must_succeed(o->fd < 0 ? errno : 0, "open the writer");
}

static void remove_fifo(void)
{
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    (void)argv;
    safety_alarm();
    char buf[64], ev[64];
    for (int pass = 0; pass < 2; pass++) {
        int p[2];
        make_pipe(p);
        struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = -1}};
        struct timespec five_s = {5, 0};
        struct coop_ticker t;
        coop_start(&t, pass ? "__ppoll_chk" : "__poll_chk", write_one_byte, &p[1]);
        /* argc is 1: a count the compiler cannot see through. */
        nfds_t n = (nfds_t)argc + 1;
        int r = pass ? ppoll(fds, n, &five_s, NULL) : poll(fds, n, -1);
        int err = errno, ticks = coop_ticks(&t);
        coop_finish(&t);
        printf("%s (fortified): %s, revents %s, ticks while it waited: %d\n",
               pass ? "ppoll" : "poll", io_result(buf, sizeof buf, r, err),
               revents_name(ev, sizeof ev, fds[0].revents), ticks);
        close_pipe(p);
    }
    static const char *const receivers[] = {"read", "recv", "recvfrom"};
    static const char *const chk_names[] = {"__read_chk", "__recv_chk", "__recvfrom_chk"};
    for (int pass = 0; pass < 3; pass++) {
        int s[2];
        must_succeed(socketpair(AF_UNIX, SOCK_STREAM, 0, s) ? errno : 0, "socketpair");
        struct coop_ticker t;
        coop_start(&t, chk_names[pass], write_one_byte, &s[1]);
        char in[16];
        size_t want = (size_t)argc; /* 1, but not a constant */
        ssize_t r = pass == 0   ? read(s[0], in, want)
                    : pass == 1 ? recv(s[0], in, want, 0)
                                : recvfrom(s[0], in, want, 0, NULL, NULL);
        int err = errno, ticks = coop_ticks(&t);
        coop_finish(&t);
        printf("%s (fortified): %s, ticks while it waited: %d\n", receivers[pass],
               io_result(buf, sizeof buf, (int)r, err), ticks);
        close_pipe(s);
    }
    must_succeed(mkdtemp(dir) ? 0 : errno, "mkdtemp");
    snprintf(path, sizeof path, "%s/fifo", dir);
    must_succeed(mkfifo(path, 0600) ? errno : 0, "mkfifo");
    atexit(remove_fifo);
    /* argc is 1: flags the compiler cannot see through (O_RDONLY is 0). */
    int rdonly = argc - 1;
    for (int pass = 0; pass < 2; pass++) {
        struct other_end o = {.flags = O_WRONLY};
        struct coop_ticker t;
        coop_start(&t, pass ? "__openat_2" : "__open_2", open_writer, &o);
        int fd = pass ? openat(AT_FDCWD, path, rdonly) : open(path, rdonly);
        int err = errno, ticks = coop_ticks(&t);
        coop_finish(&t);
        printf("%s O_RDONLY of a FIFO (fortified): %s, O_NONBLOCK: %s, ticks while it waited: "
               "%d\n",
               pass ? "openat" : "open", fd >= 0 ? "an fd" : io_result(buf, sizeof buf, fd, err),
               yes_no(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK)), ticks);
        close(fd);
        close(o.fd);
    }
    printf("done\n");
    return 0;
}
