/* A threaded hiredis client, written the plain way: one pthread per connection, blocking
 * hiredis calls, no knowledge of the shim. Usage: hiredis_client PORT THREADS
 *
 * Every thread connects to the redis-server on 127.0.0.1:PORT, waits until all are
 * connected (the moment the OS thread count is reported: every thread and its connection
 * exist), then runs a fixed series of commands on its own keys (strings, counters, lists,
 * hashes, a pipeline, a MULTI/EXEC transaction, an error reply, binary-safe values) and adds
 * itself to two shared keys. Every reply is checked; a wrong one is printed to stderr and
 * makes the exit status 1. stdout gets summary lines that depend only on THREADS. */
#include "clients.h"

#include <hiredis/hiredis.h>
#include <sys/resource.h>
#include <unistd.h>

enum { COUNTER_INCRS = 10, PIPELINE = 50, LIST_ITEMS = 20 };

static int port;

struct worker {
    struct client base; /* first */
    redisContext *c;
};

/* Takes a reply, checks its type (and that it exists: NULL is a connection error). */
static redisReply *expect_type(struct worker *w, redisReply *r, int type, const char *what)
{
    w->base.checked++;
    if (!r) {
        failed(&w->base, "%s: no reply (%s)", what, w->c->errstr);
        return NULL;
    }
    if (r->type != type) {
        failed(&w->base, "%s: reply type %d, expected %d (%s)", what, r->type, type,
               r->type == REDIS_REPLY_ERROR ? r->str : "");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static void expect_status(struct worker *w, redisReply *r, const char *status, const char *what)
{
    if (!(r = expect_type(w, r, REDIS_REPLY_STATUS, what)))
        return;
    if (strcmp(r->str, status) != 0)
        failed(&w->base, "%s: status %s, expected %s", what, r->str, status);
    freeReplyObject(r);
}

static void expect_int(struct worker *w, redisReply *r, long long value, const char *what)
{
    if (!(r = expect_type(w, r, REDIS_REPLY_INTEGER, what)))
        return;
    if (r->integer != value)
        failed(&w->base, "%s: %lld, expected %lld", what, r->integer, value);
    freeReplyObject(r);
}

static void expect_bulk(struct worker *w, redisReply *r, const char *value, size_t len,
                        const char *what)
{
    if (!(r = expect_type(w, r, REDIS_REPLY_STRING, what)))
        return;
    if (r->len != len || memcmp(r->str, value, len) != 0)
        failed(&w->base, "%s: \"%.*s\", expected \"%.*s\"", what, (int)r->len, r->str, (int)len, value);
    freeReplyObject(r);
}

static void expect_nil(struct worker *w, redisReply *r, const char *what)
{
    if ((r = expect_type(w, r, REDIS_REPLY_NIL, what)))
        freeReplyObject(r);
}

static void expect_error_prefix(struct worker *w, redisReply *r, const char *prefix,
                                const char *what)
{
    if (!(r = expect_type(w, r, REDIS_REPLY_ERROR, what)))
        return;
    if (strncmp(r->str, prefix, strlen(prefix)) != 0)
        failed(&w->base, "%s: error \"%s\", expected \"%s...\"", what, r->str, prefix);
    freeReplyObject(r);
}

static void strings(struct worker *w)
{
    char value[64];
    int len = snprintf(value, sizeof value, "value of thread %d", w->base.id);
    expect_status(w, redisCommand(w->c, "SET t%d:str %s", w->base.id, value), "OK", "SET");
    expect_bulk(w, redisCommand(w->c, "GET t%d:str", w->base.id), value, (size_t)len, "GET");
    expect_int(w, redisCommand(w->c, "APPEND t%d:str %s", w->base.id, "!"), len + 1, "APPEND");
    expect_int(w, redisCommand(w->c, "STRLEN t%d:str", w->base.id), len + 1, "STRLEN");
    expect_nil(w, redisCommand(w->c, "GET t%d:missing", w->base.id), "GET missing");
    /* Binary-safe: a value with NUL and CR LF bytes in it. */
    char binary[] = {'a', 0, '\r', '\n', (char)w->base.id, (char)(w->base.id >> 8), 'z'};
    expect_status(w, redisCommand(w->c, "SET t%d:bin %b", w->base.id, binary, sizeof binary), "OK",
                  "SET binary");
    expect_bulk(w, redisCommand(w->c, "GET t%d:bin", w->base.id), binary, sizeof binary,
                "GET binary");
    /* INCR on a string that is not a number is an error reply, not a broken connection. */
    expect_error_prefix(w, redisCommand(w->c, "INCR t%d:str", w->base.id), "ERR", "INCR string");
}

static void counters(struct worker *w)
{
    for (int i = 1; i <= COUNTER_INCRS; i++)
        expect_int(w, redisCommand(w->c, "INCR t%d:count", w->base.id), i, "INCR");
    expect_int(w, redisCommand(w->c, "INCRBY t%d:count %d", w->base.id, w->base.id),
               COUNTER_INCRS + w->base.id, "INCRBY");
    expect_int(w, redisCommand(w->c, "DECR t%d:count", w->base.id), COUNTER_INCRS + w->base.id - 1,
               "DECR");
}

static void lists(struct worker *w)
{
    for (int i = 0; i < LIST_ITEMS; i++)
        expect_int(w, redisCommand(w->c, "RPUSH t%d:list item-%d", w->base.id, i), i + 1, "RPUSH");
    expect_int(w, redisCommand(w->c, "LPUSH t%d:list head", w->base.id), LIST_ITEMS + 1, "LPUSH");
    redisReply *r = expect_type(w, redisCommand(w->c, "LRANGE t%d:list 0 -1", w->base.id),
                                REDIS_REPLY_ARRAY, "LRANGE");
    if (!r)
        return;
    if (r->elements != LIST_ITEMS + 1) {
        failed(&w->base, "LRANGE: %zu elements, expected %d", r->elements, LIST_ITEMS + 1);
    } else {
        for (size_t i = 0; i < r->elements; i++) {
            char want[32];
            if (i == 0)
                snprintf(want, sizeof want, "head");
            else
                snprintf(want, sizeof want, "item-%zu", i - 1);
            if (r->element[i]->type != REDIS_REPLY_STRING || strcmp(r->element[i]->str, want))
                failed(&w->base, "LRANGE element %zu: expected %s", i, want);
        }
    }
    freeReplyObject(r);
    expect_bulk(w, redisCommand(w->c, "LPOP t%d:list", w->base.id), "head", 4, "LPOP");
    expect_int(w, redisCommand(w->c, "LLEN t%d:list", w->base.id), LIST_ITEMS, "LLEN");
}

static void hashes(struct worker *w)
{
    expect_int(w, redisCommand(w->c, "HSET t%d:hash name t%d id %d", w->base.id, w->base.id, w->base.id), 2,
               "HSET");
    char name[16];
    int len = snprintf(name, sizeof name, "t%d", w->base.id);
    expect_bulk(w, redisCommand(w->c, "HGET t%d:hash name", w->base.id), name, (size_t)len, "HGET");
    expect_int(w, redisCommand(w->c, "HINCRBY t%d:hash id 1000", w->base.id), w->base.id + 1000,
               "HINCRBY");
    expect_int(w, redisCommand(w->c, "HLEN t%d:hash", w->base.id), 2, "HLEN");
}

/* Many commands written at once, the replies read afterwards. */
static void pipeline(struct worker *w)
{
    for (int i = 0; i < PIPELINE; i++)
        redisAppendCommand(w->c, "INCRBY t%d:pipe %d", w->base.id, i);
    long long sum = 0;
    for (int i = 0; i < PIPELINE; i++) {
        void *reply = NULL;
        if (redisGetReply(w->c, &reply) != REDIS_OK)
            reply = NULL;
        sum += i;
        expect_int(w, reply, sum, "pipelined INCRBY");
    }
}

static void transaction(struct worker *w)
{
    expect_status(w, redisCommand(w->c, "MULTI"), "OK", "MULTI");
    expect_status(w, redisCommand(w->c, "SET t%d:tx a", w->base.id), "QUEUED", "SET in MULTI");
    expect_status(w, redisCommand(w->c, "APPEND t%d:tx b", w->base.id), "QUEUED", "APPEND in MULTI");
    redisReply *r = expect_type(w, redisCommand(w->c, "EXEC"), REDIS_REPLY_ARRAY, "EXEC");
    if (r) {
        if (r->elements != 2 || r->element[0]->type != REDIS_REPLY_STATUS ||
            r->element[1]->type != REDIS_REPLY_INTEGER || r->element[1]->integer != 2)
            failed(&w->base, "EXEC: unexpected results");
        freeReplyObject(r);
    }
    expect_bulk(w, redisCommand(w->c, "GET t%d:tx", w->base.id), "ab", 2, "GET after EXEC");
}

/* Every thread adds itself to two keys all threads share. */
static void shared(struct worker *w)
{
    redisReply *r = expect_type(w, redisCommand(w->c, "INCRBY shared:sum %d", w->base.id),
                                REDIS_REPLY_INTEGER, "INCRBY shared");
    if (r)
        freeReplyObject(r);
    r = expect_type(w, redisCommand(w->c, "SADD shared:set t%d", w->base.id), REDIS_REPLY_INTEGER,
                    "SADD shared");
    if (r) {
        if (r->integer != 1)
            failed(&w->base, "SADD shared: %lld, expected 1", r->integer);
        freeReplyObject(r);
    }
}

static void cleanup(struct worker *w)
{
    expect_int(w,
               redisCommand(w->c, "DEL t%d:str t%d:bin t%d:count t%d:list t%d:hash t%d:pipe t%d:tx",
                            w->base.id, w->base.id, w->base.id, w->base.id, w->base.id, w->base.id, w->base.id),
               7, "DEL");
    expect_int(w, redisCommand(w->c, "EXISTS t%d:str", w->base.id), 0, "EXISTS after DEL");
}

static void *run(void *arg)
{
    struct worker *w = arg;
    w->c = redisConnect("127.0.0.1", port);
    if (!w->c || w->c->err)
        failed(&w->base, "connect: %s", w->c ? w->c->errstr : "out of memory");
    client_connected();
    if (w->base.failures)
        return NULL;
    expect_status(w, redisCommand(w->c, "PING"), "PONG", "PING");
    strings(w);
    counters(w);
    lists(w);
    hashes(w);
    pipeline(w);
    transaction(w);
    shared(w);
    cleanup(w);
    redisFree(w->c);
    return NULL;
}

/* A command of main's own connection whose integer reply is printed. */
static long long main_int(redisContext *c, const char *cmd)
{
    redisReply *r = redisCommand(c, cmd);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        fprintf(stderr, "main: %s: bad reply\n", cmd);
        exit(1);
    }
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Main's look at the server while every thread is connected: one line of CLIENT LIST per
 * connection, main's own included. */
struct count_clients {
    redisContext *c;
    long long clients;
};

static void count_clients(void *ctx)
{
    struct count_clients *cc = ctx;
    redisReply *r = redisCommand(cc->c, "CLIENT LIST");
    if (r && r->type == REDIS_REPLY_STRING)
        for (const char *p = r->str; (p = strchr(p, '\n')); p++)
            cc->clients++;
    freeReplyObject(r);
}

int main(int argc, char **argv)
{
    alarm(60);
    if (argc != 3) {
        fprintf(stderr, "usage: hiredis_client PORT THREADS\n");
        return 2;
    }
    port = atoi(argv[1]);
    int n = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A descriptor per connection: as many as the hard limit allows (CI's soft limit may be
     * 1024). */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        fprintf(stderr, "main: connect: %s\n", c ? c->errstr : "out of memory");
        return 1;
    }
    redisReply *r = redisCommand(c, "FLUSHALL");
    if (!r || r->type != REDIS_REPLY_STATUS) {
        fprintf(stderr, "main: FLUSHALL failed\n");
        return 1;
    }
    freeReplyObject(r);

    struct worker *workers = calloc((size_t)n, sizeof *workers);
    /* Small stacks, as a server with a thousand threads would ask for. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    struct count_clients counting = {.c = c};
    unsigned commands, failures =
        run_clients(n, workers, sizeof *workers, run, &attr, count_clients, &counting, &commands);
    long long clients = counting.clients;
    printf("threads: %d\n", n);
    printf("connections open at once: %lld\n", clients);
    printf("replies checked: %u\n", commands);
    printf("failures: %u\n", failures);
    long long sum = main_int(c, "INCRBY shared:sum 0"), members = main_int(c, "SCARD shared:set");
    printf("shared sum: %lld (expected %lld)\n", sum, (long long)n * (n - 1) / 2);
    printf("shared set members: %lld\n", members);
    printf("keys left: %lld\n", main_int(c, "DBSIZE"));
    redisFree(c);
    bool ok = !failures && sum == (long long)n * (n - 1) / 2 && members == n && clients == n + 1;
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
