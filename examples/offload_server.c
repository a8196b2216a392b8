/* offload_server: a long computation runs on a real worker thread while a green-thread
 * server keeps answering its clients: the C form of eventlet's tpool.execute(fn) in a
 * program that serves the network.
 *
 * A computation that never waits would keep the one OS thread that every green thread
 * runs on, and the server would stop answering until it is done. gp_offload hands it to a
 * worker thread of the library's pool instead: the green thread that called gp_offload
 * waits, and all the others (the server, the clients) go on.
 *
 * The program, all in one process, on 127.0.0.1:
 *  - a server (green_server.h): a green thread per connection. It answers "hello 2.3" with
 *    "HELLO 2.3", at once; and "result?" with the result of the computation, once there is
 *    one: its green thread waits on an event (gp_event_t, eventlet.event.Event) that the
 *    computation sends, with the result as the event's value.
 *  - the computation: an estimate of pi by the Leibniz series, 1 - 1/3 + 1/5 - ..., in
 *    rounds of a million terms, on a worker thread through gp_offload. It runs for at
 *    least 200 million terms (a fraction of a second), and until the clients below are
 *    done, so that they show that the server answers while it runs.
 *  - three chatty clients, each sending four hellos, one every 10 ms, on a connection of
 *    their own each time, and checking the answers;
 *  - an impatient client, which asks "result?" but gives up after 50 ms: a timeout scope
 *    (GP_TIMEOUT_SCOPE, eventlet's `with Timeout(0.05)`) makes its blocking read() fail
 *    with ETIMEDOUT;
 *  - a patient client, which asks "result?" and waits for the answer.
 *
 * Build: cc offload_server.c $(pkg-config --cflags --libs greenpatch)
 * Output (the same on every run):
 *     the computation runs on another OS thread: yes
 *     client 1: 4 answers, all right, all while the computation ran
 *     client 2: 4 answers, all right, all while the computation ran
 *     client 3: 4 answers, all right, all while the computation ran
 *     the impatient client gave up on "result?": Connection timed out
 *     the computation returned pi = 3.14159
 *     the patient client got: pi is about 3.14159
 *     the server stopped in accept(): yes
 */
#include "green_server.h"

#include <ctype.h>
#include <stdatomic.h>
#include <time.h>

enum { CLIENTS = 3, HELLOS = 4, ROUND = 1000000, MIN_ROUNDS = 200, MAX_SECONDS = 8 };

static struct green_server server;
static gp_event_t *started;  /* sent by the computation as it starts */
static gp_event_t *computed; /* sent with the result once the computation is done */

/* Between the worker thread and the green threads: plain C11 atomics, since the worker
 * runs on another OS thread. */
static atomic_bool computing;   /* the computation is under way */
static atomic_bool may_stop;    /* the chatty and impatient clients are done */
static atomic_int worker_tid;   /* the OS thread the computation ran on */

/* ---- The computation, on a worker thread ---------------------------------------------- */

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Runs on a real OS thread of the pool: it never waits, it computes. Events work from
 * any OS thread: gp_event_send wakes the green threads waiting for it. */
static void *estimate_pi(void *arg)
{
    static double pi;
    (void)arg;
    atomic_store(&worker_tid, gettid());
    atomic_store(&computing, true);
    gp_event_send(started, NULL);

    double sum = 0, deadline = seconds_now() + MAX_SECONDS;
    long term = 0;
    for (int round = 0; round < MIN_ROUNDS || !atomic_load(&may_stop); round++) {
        for (long end = term + ROUND; term < end; term++)
            sum += (term % 2 ? -4.0 : 4.0) / (double)(2 * term + 1);
        if (seconds_now() > deadline)
            break; /* the clients never finished: the output will say so */
    }
    pi = sum;
    atomic_store(&computing, false);
    return &pi;
}

/* A green thread: hands the computation to a worker and waits for it, while the other
 * green threads run; then sends its result to whoever waits for it. */
static void *computation(void *arg)
{
    (void)arg;
    void *result;
    gp_offload(estimate_pi, NULL, &result);
    gp_event_send(computed, result);
    return result;
}

/* ---- The server's side of one connection --------------------------------------------- */

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char line[128];
    if (read_message(fd, line, sizeof line, "\n") > 0) {
        if (strcmp(line, "result?\n") == 0) {
            /* Waits, as long as it takes, until the computation sends its result. */
            void *pi;
            gp_event_wait(computed, &pi, GP_FOREVER);
            snprintf(line, sizeof line, "pi is about %.5f\n", *(double *)pi);
        } else {
            for (char *c = line; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        }
        write_all(fd, line, strlen(line)); /* may fail: the impatient client is gone */
    }
    close(fd);
    return NULL;
}

/* ---- The clients --------------------------------------------------------------------- */

/* Sends one line on a new connection and reads the one-line answer into reply. Returns 0
 * or an errno value. */
static int ask(const char *question, char *reply, size_t size)
{
    int fd = connect_to_port(server.port);
    if (fd < 0)
        return errno;
    int err = 0;
    if (!write_all(fd, question, strlen(question)) || read_message(fd, reply, size, "\n") < 0)
        err = errno;
    close(fd);
    return err;
}

/* What a chatty client found: answers, right ones, ones that came while computing. */
struct tally {
    int answers, right, during;
};

static void *chatty_client(void *arg)
{
    intptr_t me = (intptr_t)arg;
    struct tally *tally = calloc(1, sizeof *tally);
    if (!tally)
        return NULL;
    gp_event_wait(started, NULL, GP_FOREVER); /* once the computation is under way */
    for (int i = 1; i <= HELLOS; i++) {
        char question[32], expected[32], reply[32];
        snprintf(question, sizeof question, "hello %d.%d\n", (int)me, i);
        snprintf(expected, sizeof expected, "HELLO %d.%d\n", (int)me, i);
        if (ask(question, reply, sizeof reply) == 0) {
            tally->answers++;
            tally->right += strcmp(reply, expected) == 0;
            tally->during += atomic_load(&computing);
        }
        gp_sleep(GP_MSEC(10));
    }
    return tally;
}

/* Gives up after 50 ms: within the scope, every wait of this green thread (here the read
 * in ask) fails with ETIMEDOUT once the deadline has passed. The scope ends with the
 * block. Returns the error number. */
static void *impatient_client(void *arg)
{
    (void)arg;
    gp_event_wait(started, NULL, GP_FOREVER);
    char reply[64];
    intptr_t err;
    {
        GP_TIMEOUT_SCOPE(GP_MSEC(50));
        err = ask("result?\n", reply, sizeof reply);
    }
    return (void *)err;
}

static void *patient_client(void *arg)
{
    (void)arg;
    static char reply[64];
    int err = ask("result?\n", reply, sizeof reply);
    return err == 0 ? reply : strerror(err);
}

int main(void)
{
    alarm(15); /* an example that hangs ends itself */

    int err;
    if ((err = gp_event_create(&started)) != 0 || (err = gp_event_create(&computed)) != 0)
        die_with("gp_event_create", err);
    green_server_start(&server, serve);

    /* Everyone starts, in this order, once main waits. */
    gp_thread_t computing_thread, chatty[CLIENTS], impatient, patient;
    if ((err = gp_spawn(&computing_thread, computation, NULL)) != 0 ||
        (err = gp_spawn(&impatient, impatient_client, NULL)) != 0 ||
        (err = gp_spawn(&patient, patient_client, NULL)) != 0)
        die_with("gp_spawn", err);
    for (int i = 0; i < CLIENTS; i++)
        if ((err = gp_spawn(&chatty[i], chatty_client, (void *)(intptr_t)(i + 1))) != 0)
            die_with("gp_spawn", err);

    /* Main waits too: everyone runs. */
    if ((err = gp_event_wait(started, NULL, GP_FOREVER)) != 0)
        die_with("gp_event_wait", err);
    printf("the computation runs on another OS thread: %s\n",
           atomic_load(&worker_tid) != gettid() ? "yes" : "no");

    /* The clients that must be done before the computation may stop. */
    void *result;
    for (int i = 0; i < CLIENTS; i++) {
        if ((err = gp_join(chatty[i], &result)) != 0)
            die_with("gp_join", err);
        struct tally *t = result;
        printf("client %d: %d answers, %s, %s\n", i + 1, t ? t->answers : 0,
               t && t->right == HELLOS ? "all right" : "NOT ALL RIGHT",
               t && t->during == HELLOS ? "all while the computation ran"
                                        : "NOT ALL while the computation ran");
        free(t);
    }
    if ((err = gp_join(impatient, &result)) != 0)
        die_with("gp_join", err);
    printf("the impatient client gave up on \"result?\": %s\n", strerror((int)(intptr_t)result));

    /* Now the computation may end; its green thread sends the result to the server's
     * threads that wait for it. */
    atomic_store(&may_stop, true);
    if ((err = gp_join(computing_thread, &result)) != 0)
        die_with("gp_join", err);
    printf("the computation returned pi = %.5f\n", *(double *)result);
    if ((err = gp_join(patient, &result)) != 0)
        die_with("gp_join", err);
    printf("the patient client got: %s", (char *)result);

    printf("the server stopped in accept(): %s\n", green_server_stop(&server) ? "yes" : "no");
    return 0;
}
