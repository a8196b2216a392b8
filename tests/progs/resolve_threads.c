/* Many threads resolving at once, each through a resolver state of its own: glibc keeps
 * _res per thread, and each thread here points its own at one of two DNS servers of the
 * program (resolve_dns.h) that answer the same name with different addresses. Every answer
 * must come from the thread's own server, and every thread must read back its own _res.
 * Under the shim all these threads are green threads of one OS thread, the lookups run in
 * the worker pool, and each green thread still has its own _res.
 * gethostbyname shares one result between threads (natively), so the threads call it under
 * a mutex, as a correct program does; the other calls are reentrant. */
#include "resolve_dns.h"

#include <stdatomic.h>

enum { THREADS = 16, ROUNDS = 8 };

static struct dns_server servers[2];
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int started;
static pthread_mutex_t gethostbyname_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int wrong_answers, wrong_states;

static void expect_address(const void *addr, const char *want)
{
    char text[INET_ADDRSTRLEN];
    if (!inet_ntop(AF_INET, addr, text, sizeof text) || strcmp(text, want))
        atomic_fetch_add(&wrong_answers, 1);
}

static void *resolver(void *arg)
{
    int which = (int)(intptr_t)arg % 2;
    const struct dns_server *own = &servers[which];
    const char *want = which ? "198.51.100.1" : "192.0.2.1";
    use_test_dns(NULL, own);
    /* Every thread is set up before any resolves, so that all run at once. */
    pthread_mutex_lock(&start_lock);
    if (++started == THREADS)
        pthread_cond_broadcast(&start_cond);
    while (started < THREADS)
        pthread_cond_wait(&start_cond, &start_lock);
    pthread_mutex_unlock(&start_lock);
    for (int i = 0; i < ROUNDS; i++) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
        if (getaddrinfo("fast.greenpatch.test", NULL, &hints, &res) == 0) {
            expect_address(&((struct sockaddr_in *)res->ai_addr)->sin_addr, want);
            freeaddrinfo(res);
        } else {
            atomic_fetch_add(&wrong_answers, 1);
        }
        struct hostent ret, *result;
        char buf[1024];
        int h_err;
        if (gethostbyname_r("www.greenpatch.test", &ret, buf, sizeof buf, &result, &h_err) == 0 &&
            result)
            expect_address(result->h_addr_list[0], want);
        else
            atomic_fetch_add(&wrong_answers, 1);
        pthread_mutex_lock(&gethostbyname_lock);
        struct hostent *h = gethostbyname("fast.greenpatch.test");
        if (h)
            expect_address(h->h_addr_list[0], want);
        else
            atomic_fetch_add(&wrong_answers, 1);
        pthread_mutex_unlock(&gethostbyname_lock);
        if (_res.nsaddr_list[0].sin_port != own->addr.sin_port)
            atomic_fetch_add(&wrong_states, 1);
    }
    return NULL;
}

int main(void)
{
    alarm(10);
    dns_start(&servers[0], false);
    dns_start(&servers[1], true);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = start_thread(NULL, resolver, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        join_or_die(threads[i]);
    report_os_threads("after-lookups");
    printf("%d threads, %d rounds of getaddrinfo, gethostbyname_r and gethostbyname each, "
           "every answer from the thread's own name server: %s\n",
           THREADS, ROUNDS, yes_no(atomic_load(&wrong_answers) == 0));
    printf("every thread read back its own _res: %s\n", yes_no(atomic_load(&wrong_states) == 0));
    dns_stop(&servers[0]);
    dns_stop(&servers[1]);
    return 0;
}
