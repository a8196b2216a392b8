/* Every interposed lookup, with what it returns compared between a native run and a run
 * under the shim (the test compares the output byte for byte): getaddrinfo, getnameinfo,
 * gethostbyname, gethostbyname2, gethostbyaddr and their _r forms, res_query, res_search,
 * res_querydomain, res_send and their res_n forms (and the old __res_* names, through
 * dlvsym). Names come from /etc/hosts ("localhost"), from numbers, and from the program's
 * own DNS server (resolve_dns.h), which also answers NXDOMAIN for unknown names: nothing
 * leaves the machine.
 *
 * Then each call again for a name whose answer the server sends only after a ticker thread
 * has ticked (coop.h): under the shim the lookup must run elsewhere while the server and
 * the ticker, green threads of the one scheduler thread, go on.
 *
 * Lines that depend on the machine's /etc/hosts start with "detail:"; the test compares
 * them between the two runs only. */
#include "coop.h"
#include "resolve_dns.h"
#include "resolve_print.h"

#include <dlfcn.h>

static struct dns_server dns;

static void gai(const char *node, const char *service, int family, int socktype, int flags)
{
    struct addrinfo hints = {.ai_family = family, .ai_socktype = socktype, .ai_flags = flags};
    struct addrinfo *res = NULL;
    int r = getaddrinfo(node, service, &hints, &res);
    char what[256];
    snprintf(what, sizeof what, "getaddrinfo(%s, %s, family %d, socktype %d, flags %#x)",
             node ? node : "NULL", service ? service : "NULL", family, socktype, flags);
    print_addrinfo(what, r, res);
    if (r == 0)
        freeaddrinfo(res);
}

static void gni(const char *ip, int port, int flags)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
    int r = getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, serv, sizeof serv,
                        flags);
    printf("getnameinfo(%s port %d, flags %#x): %s host \"%s\" service \"%s\"\n", ip, port, flags,
           eai_name(r), host, serv);
}

static void by_name(const char *name)
{
    h_errno = 0;
    struct hostent *h = gethostbyname(name);
    char what[128];
    snprintf(what, sizeof what, "gethostbyname(%s)", name);
    print_hostent(stdout, what, h, h_errno);
}

static void by_name2(const char *name, int af)
{
    h_errno = 0;
    struct hostent *h = gethostbyname2(name, af);
    char what[128];
    snprintf(what, sizeof what, "gethostbyname2(%s, %s)", name, af == AF_INET6 ? "inet6" : "inet");
    print_hostent(stdout, what, h, h_errno);
}

static void by_addr(const char *ip)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    h_errno = 0;
    struct hostent *h = gethostbyaddr(&a, sizeof a, AF_INET);
    char what[128];
    snprintf(what, sizeof what, "gethostbyaddr(%s)", ip);
    print_hostent(stdout, what, h, h_errno);
}

/* The _r forms; buflen small enough provokes ERANGE. */
static void by_name_r(const char *name, int af, size_t buflen)
{
    struct hostent ret, *result = NULL;
    char buf[4096];
    int h_err = 0;
    errno = 0;
    int r = af == AF_UNSPEC ? gethostbyname_r(name, &ret, buf, buflen, &result, &h_err)
                            : gethostbyname2_r(name, af, &ret, buf, buflen, &result, &h_err);
    printf("gethostbyname%s_r(%s, buffer %zu): %s, result is ret: %s, ", af == AF_UNSPEC ? "" : "2",
           name, buflen, error_name(r), yes_no(result == &ret));
    print_hostent(stdout, "", result, h_err);
}

static void by_addr_r(const char *ip)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    struct hostent ret, *result = NULL;
    char buf[4096];
    int h_err = 0;
    int r = gethostbyaddr_r(&a, sizeof a, AF_INET, &ret, buf, sizeof buf, &result, &h_err);
    printf("gethostbyaddr_r(%s): %s, ", ip, error_name(r));
    print_hostent(stdout, "", result, h_err);
}

enum { ANSWER = 512 };

static void queries(const char *name)
{
    unsigned char answer[ANSWER], query[ANSWER];
    char what[160];
    h_errno = 0;
    int n = res_query(name, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_query(%s, A)", name);
    print_answer(what, n, answer, h_errno);
    h_errno = 0;
    n = res_search(name, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_search(%s, A)", name);
    print_answer(what, n, answer, h_errno);
    const char *dot = strchr(name, '.');
    char label[64];
    snprintf(label, sizeof label, "%.*s", (int)(dot - name), name);
    h_errno = 0;
    n = res_querydomain(label, dot + 1, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_querydomain(%s, %s, A)", label, dot + 1);
    print_answer(what, n, answer, h_errno);
    int qlen = res_mkquery(ns_o_query, name, ns_c_in, ns_t_a, NULL, 0, NULL, query, sizeof query);
    h_errno = 0;
    n = res_send(query, qlen, answer, sizeof answer);
    snprintf(what, sizeof what, "res_send(query for %s)", name);
    print_answer(what, n, answer, h_errno);
}

static void n_queries(const char *name)
{
    struct __res_state state;
    use_test_dns(&state, &dns);
    unsigned char answer[ANSWER], query[ANSWER];
    char what[160];
    int n = res_nquery(&state, name, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_nquery(%s, A)", name);
    print_answer(what, n, answer, state.res_h_errno);
    n = res_nsearch(&state, name, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_nsearch(%s, A)", name);
    print_answer(what, n, answer, state.res_h_errno);
    const char *dot = strchr(name, '.');
    char label[64];
    snprintf(label, sizeof label, "%.*s", (int)(dot - name), name);
    n = res_nquerydomain(&state, label, dot + 1, ns_c_in, ns_t_a, answer, sizeof answer);
    snprintf(what, sizeof what, "res_nquerydomain(%s, %s, A)", label, dot + 1);
    print_answer(what, n, answer, state.res_h_errno);
    int qlen = res_nmkquery(&state, ns_o_query, name, ns_c_in, ns_t_a, NULL, 0, NULL, query,
                            sizeof query);
    n = res_nsend(&state, query, qlen, answer, sizeof answer);
    snprintf(what, sizeof what, "res_nsend(query for %s)", name);
    print_answer(what, n, answer, state.res_h_errno);
    res_nclose(&state);
}

/* A program linked before glibc 2.34 calls __res_query@GLIBC_2.2.5. */
static void old_name(void)
{
    int (*old_query)(const char *, int, int, unsigned char *, int) =
        (int (*)(const char *, int, int, unsigned char *, int))dlvsym(RTLD_DEFAULT, "__res_query",
                                                                      "GLIBC_2.2.5");
    if (!old_query) {
        printf("__res_query@GLIBC_2.2.5: missing\n");
        return;
    }
    unsigned char answer[ANSWER];
    int n = old_query("fast.greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    print_answer("__res_query@GLIBC_2.2.5(fast.greenpatch.test, A)", n, answer, h_errno);
}

/* The first IPv4 line of /etc/hosts: its address and first name. */
static bool first_hosts_entry(char *ip, size_t ip_size, char *name, size_t name_size)
{
    FILE *f = fopen("/etc/hosts", "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char a[64], n[256];
        struct in_addr in;
        if (line[0] != '#' && sscanf(line, "%63s %255s", a, n) == 2 &&
            inet_pton(AF_INET, a, &in) == 1) {
            snprintf(ip, ip_size, "%s", a);
            snprintf(name, name_size, "%s", n);
            found = true;
        }
    }
    fclose(f);
    return found;
}

static void hosts_file_name(void)
{
    char ip[64], name[256];
    if (!first_hosts_entry(ip, sizeof ip, name, sizeof name)) {
        printf("/etc/hosts has an IPv4 entry: no\n");
        return;
    }
    struct hostent *h = gethostbyname(name);
    bool found = false;
    for (char **a = h ? h->h_addr_list : NULL; a && *a; a++) {
        char text[INET_ADDRSTRLEN];
        found = found || !strcmp(inet_ntop(AF_INET, *a, text, sizeof text), ip);
    }
    printf("detail: ");
    print_hostent(stdout, "gethostbyname(the first name of /etc/hosts)", h, h_errno);
    printf("the first name of /etc/hosts resolves to its address there: %s\n", yes_no(found));
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_CANONNAME};
    struct addrinfo *res = NULL;
    int r = getaddrinfo(name, "7", &hints, &res);
    printf("detail: ");
    print_addrinfo("getaddrinfo(the first name of /etc/hosts)", r, res);
    if (r == 0)
        freeaddrinfo(res);
}

/* ---- the same calls waiting for the ticker ---- */

static void slow(const char *call)
{
    struct coop_ticker ticker;
    coop_start(&ticker, call, dns_open_gate, &dns);
    unsigned char answer[ANSWER];
    struct hostent ret, *result = NULL, *h = NULL;
    char buf[1024], host[NI_MAXHOST] = "";
    int h_err = 0, r = 0;
    struct in_addr slow_addr = {.s_addr = htonl(0xc0000202)};
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = slow_addr};
    struct __res_state state;
    if (!strncmp(call, "res_n", 5))
        use_test_dns(&state, &dns);
    h_errno = 0;
    if (!strcmp(call, "getaddrinfo")) {
        r = getaddrinfo("slow.greenpatch.test", NULL, &hints, &res);
        print_addrinfo("slow getaddrinfo", r, res);
        if (r == 0)
            freeaddrinfo(res);
    } else if (!strcmp(call, "getnameinfo")) {
        r = getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, NULL, 0, NI_NAMEREQD);
        printf("slow getnameinfo: %s host \"%s\"\n", eai_name(r), host);
    } else if (!strcmp(call, "gethostbyname")) {
        h = gethostbyname("slow.greenpatch.test");
    } else if (!strcmp(call, "gethostbyname2")) {
        h = gethostbyname2("slow.greenpatch.test", AF_INET);
    } else if (!strcmp(call, "gethostbyaddr")) {
        h = gethostbyaddr(&slow_addr, sizeof slow_addr, AF_INET);
    } else if (!strcmp(call, "gethostbyname_r")) {
        r = gethostbyname_r("slow.greenpatch.test", &ret, buf, sizeof buf, &result, &h_err);
    } else if (!strcmp(call, "gethostbyname2_r")) {
        r = gethostbyname2_r("slow.greenpatch.test", AF_INET, &ret, buf, sizeof buf, &result,
                             &h_err);
    } else if (!strcmp(call, "gethostbyaddr_r")) {
        r = gethostbyaddr_r(&slow_addr, sizeof slow_addr, AF_INET, &ret, buf, sizeof buf, &result,
                            &h_err);
    } else if (!strcmp(call, "res_query")) {
        r = res_query("slow.greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    } else if (!strcmp(call, "res_search")) {
        r = res_search("slow.greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    } else if (!strcmp(call, "res_querydomain")) {
        r = res_querydomain("slow", "greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    } else if (!strcmp(call, "res_nquery")) {
        r = res_nquery(&state, "slow.greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    } else if (!strcmp(call, "res_nsearch")) {
        r = res_nsearch(&state, "slow.greenpatch.test", ns_c_in, ns_t_a, answer, sizeof answer);
    } else if (!strcmp(call, "res_nquerydomain")) {
        r = res_nquerydomain(&state, "slow", "greenpatch.test", ns_c_in, ns_t_a, answer,
                             sizeof answer);
    }
    int ticks = coop_ticks(&ticker);
    int h_errno_after = h_errno;
    coop_finish(&ticker);
    char what[64];
    snprintf(what, sizeof what, "slow %s", call);
    if (!strncmp(call, "gethostby", 9) && strstr(call, "_r")) {
        printf("%s: %s, ", what, error_name(r));
        print_hostent(stdout, "", result, h_err);
    } else if (!strncmp(call, "gethostby", 9)) {
        print_hostent(stdout, what, h, h_errno_after);
    } else if (!strncmp(call, "res_", 4)) {
        print_answer(what, r, answer, h_errno_after);
    }
    if (!strncmp(call, "res_n", 5))
        res_nclose(&state);
    printf("%s waited while the ticker ticked %d times\n", call, ticks);
}

int main(void)
{
    alarm(10);
    dns_start(&dns, false);
    use_test_dns(NULL, &dns);

    gai("localhost", "80", AF_INET, SOCK_STREAM, 0);
    gai("127.0.0.1", "8080", AF_INET, SOCK_STREAM, AI_NUMERICHOST | AI_NUMERICSERV);
    gai("127.0.0.1", "8080", AF_INET, 0, AI_NUMERICHOST);
    gai(NULL, "5000", AF_INET, SOCK_DGRAM, AI_PASSIVE);
    gai(NULL, "5000", AF_INET6, SOCK_DGRAM, 0);
    gai("fast.greenpatch.test", "53", AF_INET, SOCK_DGRAM, 0);
    gai("fast.greenpatch.test", "53", AF_INET6, SOCK_DGRAM, 0);
    gai("www.greenpatch.test", NULL, AF_INET, SOCK_STREAM, AI_CANONNAME);
    gai("nonexistent.greenpatch.test", NULL, AF_INET, SOCK_STREAM, 0);
    gai("fast.greenpatch.test", NULL, AF_INET, SOCK_STREAM, AI_NUMERICHOST);
    gai("127.0.0.1", "no-such-service-here", AF_INET, SOCK_STREAM, 0);
    gai(NULL, NULL, AF_INET, SOCK_STREAM, 0);
    gai("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0x10000);
    gai("127.0.0.1", "80", 12345, SOCK_STREAM, 0);

    gni("192.0.2.1", 53, NI_NAMEREQD | NI_NUMERICSERV);
    gni("127.0.0.1", 80, NI_NUMERICHOST | NI_NUMERICSERV);
    gni("192.0.2.9", 80, NI_NAMEREQD | NI_NUMERICSERV);
    gni("192.0.2.9", 80, NI_NUMERICSERV);

    by_name("fast.greenpatch.test");
    by_name("www.greenpatch.test");
    by_name("192.0.2.77");
    by_name("nonexistent.greenpatch.test");
    by_name2("fast.greenpatch.test", AF_INET6);
    by_name2("www.greenpatch.test", AF_INET);
    by_addr("192.0.2.1");
    by_addr("192.0.2.9");
    by_name_r("www.greenpatch.test", AF_UNSPEC, 4096);
    by_name_r("www.greenpatch.test", AF_UNSPEC, 16);
    by_name_r("nonexistent.greenpatch.test", AF_UNSPEC, 4096);
    by_name_r("fast.greenpatch.test", AF_INET6, 4096);
    by_addr_r("192.0.2.1");
    by_addr_r("192.0.2.9");

    queries("fast.greenpatch.test");
    queries("www.greenpatch.test");
    queries("nonexistent.greenpatch.test");
    n_queries("fast.greenpatch.test");
    n_queries("nonexistent.greenpatch.test");
    old_name();

    hosts_file_name();

    static const char *const calls[] = {
        "getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname2", "gethostbyaddr",
        "gethostbyname_r", "gethostbyname2_r", "gethostbyaddr_r", "res_query", "res_search",
        "res_querydomain", "res_nquery", "res_nsearch", "res_nquerydomain"};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        slow(calls[i]);
    printf("slow answers sent: %d\n", dns.slow_answered);
    dns_stop(&dns);
    return 0;
}
