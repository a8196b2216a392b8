/* Threads sharing one FILE whose writes must wait for a slow reader. Natively each stdio
 * call holds the FILE's lock, and flockfile holds it across calls; under the shim the
 * threads are green threads of one OS thread, to which glibc's recursive lock is no
 * barrier, so the shim's green FILE lock must keep them apart while one waits inside:
 *  - two threads fprintf 300 records of 600 bytes each to one socket: every record
 *    arrives whole, none cut by the other thread's;
 *  - one thread writes records byte by byte with putc_unlocked under flockfile while
 *    another writes whole records with fputs: no record is cut;
 *  - ftrylockfile fails while another thread holds the lock and waits inside fwrite, and
 *    succeeds once it has finished.
 * The results are printed and compared with the native run. */
#include "stdio_util.h"

#include <pthread.h>
#include <stdatomic.h>

enum { RECORDS = 300, PAYLOAD = 600 };

struct shared_out {
    FILE *out;
    int id;
    bool bytewise; /* putc_unlocked under flockfile instead of fprintf */
};

static void *record_writer(void *arg)
{
    struct shared_out *s = arg;
    char payload[PAYLOAD + 1];
    memset(payload, 'a' + s->id, PAYLOAD);
    payload[PAYLOAD] = '\0';
    for (int i = 0; i < RECORDS; i++) {
        if (!s->bytewise) {
            MUST(fprintf(s->out, "%d:%03d:%s\n", s->id, i, payload) > 0, "fprintf");
            continue;
        }
        char record[PAYLOAD + 16];
        snprintf(record, sizeof record, "%d:%03d:%s\n", s->id, i, payload);
        flockfile(s->out);
        for (const char *p = record; *p; p++)
            MUST(putc_unlocked(*p, s->out) != EOF, "putc_unlocked");
        funlockfile(s->out);
    }
    return NULL;
}

/* Counts the records of each writer that arrived whole and in order. */
static void check_records(const struct drain *d, int good[2])
{
    int next[2] = {0, 0};
    good[0] = good[1] = 0;
    const char *p = d->data, *end = d->data + d->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        int id = -1, seq = -1, at = 0;
        if (sscanf(p, "%d:%d:%n", &id, &seq, &at) == 2 && (id == 0 || id == 1) &&
            seq == next[id] && nl - p - at == PAYLOAD) {
            bool same = true;
            for (const char *q = p + at; q < nl; q++)
                same &= *q == 'a' + id;
            good[id] += same;
            next[id]++;
        }
        p = nl + 1;
    }
}

static void two_writers(bool bytewise)
{
    int fds[2];
    small_socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    struct drain d = {.fd = fds[1], .pause_every = 2};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    struct shared_out a = {.out = out, .id = 0, .bytewise = bytewise}, b = {.out = out, .id = 1};
    pthread_t ta = start_thread(NULL, record_writer, &a);
    pthread_t tb = start_thread(NULL, record_writer, &b);
    join_or_die(ta);
    join_or_die(tb);
    report_os_threads(bytewise ? "flockfile" : "fprintf");
    MUST(fclose(out) == 0, "fclose");
    join_or_die(r);
    int good[2];
    check_records(&d, good);
    printf("%s and fprintf from two threads: %d and %d of %d records whole, %zu bytes\n",
           bytewise ? "putc_unlocked under flockfile" : "fprintf", good[0], good[1], RECORDS,
           d.len);
    free(d.data);
    close(fds[1]);
}

struct holder {
    FILE *out;
    atomic_bool locked;
};

static void *hold_and_write(void *arg)
{
    struct holder *h = arg;
    flockfile(h->out);
    atomic_store(&h->locked, true);
    static char big[300000];
    MUST(fwrite(big, 1, sizeof big, h->out) == sizeof big && fflush(h->out) == 0, "fwrite");
    funlockfile(h->out);
    return NULL;
}

static void trylock_while_held(void)
{
    int fds[2];
    socket_pair(fds);
    FILE *out = open_stream(fds[0], "w");
    struct holder h = {.out = out};
    pthread_t t = start_thread(NULL, hold_and_write, &h);
    while (!atomic_load(&h.locked))
        usleep(PAUSE_US);
    usleep(PAUSE_US); /* the holder is inside fwrite, waiting for a reader */
    int busy = ftrylockfile(out);
    report_os_threads("ftrylockfile");
    struct drain d = {.fd = fds[1]};
    pthread_t r = start_thread(NULL, drain_thread, &d);
    join_or_die(t);
    int free_now = ftrylockfile(out);
    if (free_now == 0)
        funlockfile(out);
    MUST(fclose(out) == 0, "fclose");
    join_or_die(r);
    printf("ftrylockfile while another thread waits in fwrite under flockfile: %s; after it"
           " finished: %d; reader got %zu bytes\n",
           busy != 0 ? "busy" : "acquired", free_now, d.len);
    free(d.data);
    close(fds[1]);
}

int main(void)
{
    alarm(STDIO_ALARM_S);
    two_writers(false);
    two_writers(true);
    trylock_while_held();
    printf("done\n");
    return 0;
}
