/* crawler: fetches many URLs at once through a pool of green threads, and prints the pages
 * in the order the URLs were given: the C form of eventlet's classic crawler
 *
 *     pool = eventlet.GreenPool(4)
 *     for body in pool.imap(fetch, urls):
 *         print(body)
 *
 * To stay on this machine, the program serves the pages itself: a small HTTP server runs
 * in a green thread of the same program, on 127.0.0.1 and a port the kernel picks, with a
 * green thread per connection. Some pages come slower than others, so the fetches finish
 * out of order.
 *
 * The crawler spawns one fetch per URL into a pile (gp_pile_t, eventlet.GreenPile) whose
 * threads run in a pool of 4 (gp_pool_t, eventlet.GreenPool): at most 4 fetches are in
 * flight at once, and spawning a fifth waits until one has finished. gp_pile_next then
 * hands out the results in the order they were spawned, each as soon as it is ready.
 *
 * Everything is plain blocking socket code (net.h): connect, write, read, accept. Linked
 * with -lgreenpatch, each of those calls lets the other green threads run while it waits,
 * so the server and the fetches all run together on one OS thread.
 *
 * Build: cc crawler.c $(pkg-config --cflags --libs greenpatch)
 * Output (the same on every run):
 *     GET /page/1 -> 200 OK: This is page 1 of 11.
 *     ...
 *     GET /page/11 -> 200 OK: This is page 11 of 11.
 *     GET /missing -> 404 Not Found: There is no such page.
 *     fetched 12 URLs in order, though some finished before a URL given earlier
 *     most fetches in flight at once: 4 (the pool's size: 4)
 *     the server stopped in accept(): yes
 */
#include "green_server.h"

enum { PAGES = 11, URLS = PAGES + 1, POOL_SIZE = 4 };

static struct green_server server;

/* ---- The server ---------------------------------------------------------------------- */

/* Answers one request and closes the connection, as HTTP/1.0 does. Each connection is
 * served by a green thread of its own (green_server.h). */
static void *serve_one(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char request[1024], body[128], response[256];
    int page = 0;
    if (read_message(fd, request, sizeof request, "\r\n\r\n") > 0 &&
        sscanf(request, "GET /page/%d ", &page) == 1 && page >= 1 && page <= PAGES) {
        /* Pages 4 and 8 come at once, 1, 5 and 9 after 10 ms, ... 3, 7 and 11 after 30. */
        gp_sleep(GP_MSEC(10 * (page % 4)));
        snprintf(body, sizeof body, "This is page %d of %d.", page, PAGES);
        snprintf(response, sizeof response, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
    } else {
        snprintf(body, sizeof body, "There is no such page.");
        snprintf(response, sizeof response,
                 "HTTP/1.0 404 Not Found\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
    }
    write_all(fd, response, strlen(response));
    close(fd);
    return NULL;
}

/* ---- The crawler --------------------------------------------------------------------- */

static char urls[URLS][32]; /* the paths to fetch, in the order we want the pages */
static int in_flight, most_in_flight; /* fetches between their start and their reply */
static bool done[URLS];               /* which fetches have their reply */
static bool out_of_order;             /* a fetch finished before one spawned earlier */

/* Fetches urls[i] from our server and returns "STATUS: BODY" in a new string. */
static void *fetch(void *arg)
{
    intptr_t i = (intptr_t)arg;
    const char *path = urls[i];
    if (++in_flight > most_in_flight)
        most_in_flight = in_flight;

    char reply[1024], request[256];
    snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    int fd = connect_to_port(server.port);
    if (fd < 0)
        die("connect");
    if (!write_all(fd, request, strlen(request)) ||
        read_message(fd, reply, sizeof reply, NULL) < 0)
        die("fetch");
    close(fd);
    in_flight--;
    done[i] = true;
    for (intptr_t earlier = 0; earlier < i; earlier++)
        out_of_order |= !done[earlier];

    /* "HTTP/1.0 200 OK\r\n...\r\n\r\nBODY" -> "200 OK: BODY" */
    char *status = strchr(reply, ' '), *body = strstr(reply, "\r\n\r\n");
    char *line_end = strstr(reply, "\r\n");
    char *result = NULL;
    if (!status || !body ||
        asprintf(&result, "%.*s: %s", (int)(line_end - status - 1), status + 1, body + 4) < 0)
        die("bad reply");
    return result;
}

int main(void)
{
    alarm(10); /* an example that hangs ends itself */

    /* The server first: it listens before any fetch connects (green_server.h). */
    green_server_start(&server, serve_one);

    for (int i = 0; i < PAGES; i++)
        snprintf(urls[i], sizeof urls[i], "/page/%d", i + 1);
    snprintf(urls[PAGES], sizeof urls[PAGES], "/missing");

    /* A pool of 4, and a pile that runs its calls in it. */
    gp_pool_t *pool;
    gp_pile_t *pile;
    int err;
    if ((err = gp_pool_create(&pool, POOL_SIZE)) != 0 || (err = gp_pile_create(&pile, pool)) != 0)
        die_with("create", err);

    /* Spawns every fetch. Once 4 run, each gp_pile_spawn waits until one has finished:
     * the green threads run while main waits there. */
    for (int i = 0; i < URLS; i++)
        if ((err = gp_pile_spawn(pile, fetch, (void *)(intptr_t)i, GP_FOREVER)) != 0)
            die_with("gp_pile_spawn", err);

    /* The results, in the order the fetches were spawned; gp_pile_next waits for each.
     * ENOENT: every result has been taken. */
    void *result;
    for (int i = 0; (err = gp_pile_next(pile, &result, GP_FOREVER)) != ENOENT; i++) {
        if (err != 0)
            die_with("gp_pile_next", err);
        printf("GET %s -> %s\n", urls[i], (char *)result);
        free(result);
    }
    printf("fetched %d URLs in order, though %s finished before a URL given earlier\n", URLS,
           out_of_order ? "some" : "none");
    printf("most fetches in flight at once: %d (the pool's size: %d)\n", most_in_flight,
           POOL_SIZE);

    /* The pool's threads may still be on their way out: wait for them, then free. */
    if ((err = gp_pool_waitall(pool, GP_FOREVER)) != 0 || (err = gp_pile_destroy(pile)) != 0 ||
        (err = gp_pool_destroy(pool)) != 0)
        die_with("destroy", err);

    /* The server waits in accept() for ever: gp_kill ends it there (green_server.h). */
    printf("the server stopped in accept(): %s\n", green_server_stop(&server) ? "yes" : "no");
    return most_in_flight <= POOL_SIZE ? 0 : 1;
}
