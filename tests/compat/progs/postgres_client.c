/* A threaded libpq client, written the plain way: one pthread per connection, blocking libpq
 * calls, no knowledge of the shim. Usage: postgres_client CONNINFO THREADS
 *
 * Every thread connects to the PostgreSQL server CONNINFO names, waits until all are
 * connected (the moment the OS thread count is reported: every thread and its connection
 * exist), then works on a temporary table of its own: creates it, inserts rows with
 * parameterized statements in a transaction, reads them back with an aggregate, a prepared
 * statement and a binary result, copies rows in with COPY FROM STDIN, rolls a delete back,
 * provokes a unique violation, updates with RETURNING, and adds a row to a table all threads
 * share. Every result is checked; a wrong one is printed to stderr and makes the exit status
 * 1. stdout gets summary lines that depend only on THREADS. */
#include "clients.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <unistd.h>

enum { ROWS = 20, COPIED = 5 };

static const char *conninfo;

struct worker {
    struct client base; /* first */
    PGconn *conn;
};

/* Checks a result's status; returns it when it is the expected one, else clears it. */
static PGresult *expect_status(struct worker *w, PGresult *r, ExecStatusType status,
                               const char *what)
{
    w->base.checked++;
    if (!r) {
        failed(&w->base, "%s: no result: %s", what, PQerrorMessage(w->conn));
        return NULL;
    }
    if (PQresultStatus(r) != status) {
        failed(&w->base, "%s: %s, expected %s: %s", what, PQresStatus(PQresultStatus(r)),
               PQresStatus(status), PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* A command without rows; checks the row count it reports when rows is not NULL. */
static void command(struct worker *w, PGresult *r, const char *rows, const char *what)
{
    if (!(r = expect_status(w, r, PGRES_COMMAND_OK, what)))
        return;
    if (rows && strcmp(PQcmdTuples(r), rows) != 0)
        failed(&w->base, "%s: %s rows, expected %s", what, PQcmdTuples(r), rows);
    PQclear(r);
}

/* A query whose one row and column is text; checks the value. */
static void single_value(struct worker *w, PGresult *r, const char *value, const char *what)
{
    if (!(r = expect_status(w, r, PGRES_TUPLES_OK, what)))
        return;
    if (PQntuples(r) != 1 || PQnfields(r) < 1)
        failed(&w->base, "%s: %d rows, %d columns", what, PQntuples(r), PQnfields(r));
    else if (strcmp(PQgetvalue(r, 0, 0), value) != 0)
        failed(&w->base, "%s: \"%s\", expected \"%s\"", what, PQgetvalue(r, 0, 0), value);
    PQclear(r);
}

static const char *text(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

static void create_and_insert(struct worker *w)
{
    command(w, PQexec(w->conn, "CREATE TEMP TABLE items (id int PRIMARY KEY, name text NOT NULL, "
                               "score double precision)"),
            NULL, "CREATE TABLE");
    command(w, PQexec(w->conn, "BEGIN"), NULL, "BEGIN");
    for (int id = 1; id <= ROWS; id++) {
        char id_s[16], name[32], score[32];
        const char *params[] = {text(id_s, sizeof id_s, "%d", id),
                                text(name, sizeof name, "t%d-row%d", w->base.id, id),
                                text(score, sizeof score, "%g", id * 1.5)};
        command(w,
                PQexecParams(w->conn, "INSERT INTO items VALUES ($1, $2, $3)", 3, NULL, params,
                             NULL, NULL, 0),
                "1", "INSERT");
    }
    command(w, PQexec(w->conn, "COMMIT"), NULL, "COMMIT");
}

static void read_back(struct worker *w)
{
    char want[64];
    single_value(w, PQexec(w->conn, "SELECT count(*) || ' ' || sum(id) FROM items"),
                 text(want, sizeof want, "%d %d", ROWS, ROWS * (ROWS + 1) / 2), "count and sum");
    single_value(w,
                 PQexec(w->conn, "SELECT string_agg(name, ',' ORDER BY id) FROM items "
                                 "WHERE id <= 3"),
                 text(want, sizeof want, "t%d-row1,t%d-row2,t%d-row3", w->base.id, w->base.id, w->base.id),
                 "string_agg");
    command(w, PQprepare(w->conn, "by_id", "SELECT name, score FROM items WHERE id = $1", 1, NULL),
            NULL, "PREPARE");
    for (int id = 1; id <= ROWS; id++) {
        char id_s[16], name[32], score[32];
        const char *params[] = {text(id_s, sizeof id_s, "%d", id)};
        PGresult *r = expect_status(w, PQexecPrepared(w->conn, "by_id", 1, params, NULL, NULL, 0),
                                    PGRES_TUPLES_OK, "EXECUTE");
        if (!r)
            continue;
        if (PQntuples(r) != 1 ||
            strcmp(PQgetvalue(r, 0, 0), text(name, sizeof name, "t%d-row%d", w->base.id, id)) ||
            strcmp(PQgetvalue(r, 0, 1), text(score, sizeof score, "%g", id * 1.5)))
            failed(&w->base, "EXECUTE by_id(%d): unexpected row", id);
        PQclear(r);
    }
    /* A binary result: the int4 in network byte order. */
    char id_s[16];
    const char *params[] = {text(id_s, sizeof id_s, "%d", w->base.id)};
    PGresult *r = expect_status(w,
                                PQexecParams(w->conn, "SELECT $1::int4 * 2", 1, NULL, params,
                                             NULL, NULL, 1),
                                PGRES_TUPLES_OK, "binary SELECT");
    if (r) {
        uint32_t v;
        if (PQgetlength(r, 0, 0) != 4)
            failed(&w->base, "binary SELECT: %d bytes", PQgetlength(r, 0, 0));
        else if (memcpy(&v, PQgetvalue(r, 0, 0), 4), (int)ntohl(v) != w->base.id * 2)
            failed(&w->base, "binary SELECT: %d", (int)ntohl(v));
        PQclear(r);
    }
}

static void copy_in(struct worker *w)
{
    PGresult *r = expect_status(w, PQexec(w->conn, "COPY items FROM STDIN"), PGRES_COPY_IN, "COPY");
    if (!r)
        return;
    PQclear(r);
    for (int id = ROWS + 1; id <= ROWS + COPIED; id++) {
        char line[64];
        int len = snprintf(line, sizeof line, "%d\tt%d-copied%d\t%g\n", id, w->base.id, id, id * 1.5);
        if (PQputCopyData(w->conn, line, len) != 1)
            failed(&w->base, "PQputCopyData: %s", PQerrorMessage(w->conn));
    }
    if (PQputCopyEnd(w->conn, NULL) != 1)
        failed(&w->base, "PQputCopyEnd: %s", PQerrorMessage(w->conn));
    command(w, PQgetResult(w->conn), "5", "COPY end");
    while ((r = PQgetResult(w->conn)))
        PQclear(r);
}

static void rollback_and_errors(struct worker *w)
{
    char want[16];
    const char *total = text(want, sizeof want, "%d", ROWS + COPIED);
    command(w, PQexec(w->conn, "BEGIN"), NULL, "BEGIN");
    command(w, PQexec(w->conn, "DELETE FROM items"), total, "DELETE");
    single_value(w, PQexec(w->conn, "SELECT count(*) FROM items"), "0", "count in transaction");
    command(w, PQexec(w->conn, "ROLLBACK"), NULL, "ROLLBACK");
    single_value(w, PQexec(w->conn, "SELECT count(*) FROM items"), total, "count after ROLLBACK");

    /* A unique violation is an error result; the connection goes on. */
    const char *params[] = {"1", "duplicate", "0"};
    PGresult *r = expect_status(w,
                                PQexecParams(w->conn, "INSERT INTO items VALUES ($1, $2, $3)", 3,
                                             NULL, params, NULL, NULL, 0),
                                PGRES_FATAL_ERROR, "duplicate INSERT");
    if (r) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (!state || strcmp(state, "23505") != 0)
            failed(&w->base, "duplicate INSERT: SQLSTATE %s, expected 23505", state ? state : "none");
        PQclear(r);
    }
    r = expect_status(w,
                      PQexec(w->conn, "UPDATE items SET score = score + 1 WHERE id <= 10 "
                                      "RETURNING id"),
                      PGRES_TUPLES_OK, "UPDATE RETURNING");
    if (r) {
        int sum = 0;
        for (int i = 0; i < PQntuples(r); i++)
            sum += atoi(PQgetvalue(r, i, 0));
        if (PQntuples(r) != 10 || sum != 55)
            failed(&w->base, "UPDATE RETURNING: %d rows, sum %d", PQntuples(r), sum);
        PQclear(r);
    }
}

static void share(struct worker *w)
{
    char id_s[16];
    const char *params[] = {text(id_s, sizeof id_s, "%d", w->base.id)};
    command(w,
            PQexecParams(w->conn, "INSERT INTO shared SELECT $1, count(*), sum(id) FROM items", 1,
                         NULL, params, NULL, NULL, 0),
            "1", "INSERT shared");
}

static void *run(void *arg)
{
    struct worker *w = arg;
    w->conn = PQconnectdb(conninfo);
    if (PQstatus(w->conn) != CONNECTION_OK)
        failed(&w->base, "connect: %s", PQerrorMessage(w->conn));
    client_connected();
    if (!w->base.failures) {
        create_and_insert(w);
        read_back(w);
        copy_in(w);
        rollback_and_errors(w);
        share(w);
    }
    PQfinish(w->conn);
    return NULL;
}

/* A query of main's own connection with one text value, which is returned (malloc'd). */
static char *main_value(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "main: %s: %s\n", sql, PQresultErrorMessage(r));
        exit(1);
    }
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Main's look at the server while every thread is connected: its client sessions, main's
 * own included. */
struct count_sessions {
    PGconn *c;
    char *sessions;
};

static void count_sessions(void *ctx)
{
    struct count_sessions *cs = ctx;
    cs->sessions = main_value(cs->c, "SELECT count(*) FROM pg_stat_activity "
                                     "WHERE backend_type = 'client backend'");
}

static void main_command(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "main: %s: %s\n", sql, PQresultErrorMessage(r));
        exit(1);
    }
    PQclear(r);
}

int main(int argc, char **argv)
{
    alarm(60);
    if (argc != 3) {
        fprintf(stderr, "usage: postgres_client CONNINFO THREADS\n");
        return 2;
    }
    conninfo = argv[1];
    int n = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "main: connect: %s\n", PQerrorMessage(c));
        return 1;
    }
    main_command(c, "DROP TABLE IF EXISTS shared");
    main_command(c, "CREATE TABLE shared (thread int PRIMARY KEY, rows bigint, total bigint)");

    struct worker *workers = calloc((size_t)n, sizeof *workers);
    struct count_sessions counting = {.c = c};
    unsigned checked, failures =
        run_clients(n, workers, sizeof *workers, run, NULL, count_sessions, &counting, &checked);
    char *sessions = counting.sessions;
    char *summary = main_value(c, "SELECT count(*) || ' threads, ' || sum(rows) || ' rows, ids "
                                  "summing to ' || sum(total) FROM shared");
    main_command(c, "DROP TABLE shared");
    PQfinish(c);
    printf("threads: %d\n", n);
    printf("connections open at once: %s\n", sessions);
    printf("results checked: %u\n", checked);
    printf("failures: %u\n", failures);
    printf("shared table: %s\n", summary);
    bool ok = !failures && atoi(sessions) == n + 1;
    printf("%s\n", ok ? "ok" : "FAILED");
    free(sessions);
    free(summary);
    return ok ? 0 : 1;
}
