/* A tiny DNS server for the resolve_* helper programs, run by the program itself on
 * 127.0.0.1, and the resolver set-up that sends a thread's lookups to it. No lookup of these
 * programs ever leaves the machine, so they need no network and cannot hang on one.
 *
 * glibc keeps the resolver's state per thread (_res): a thread calls use_test_dns() to point
 * its own state at a server, as old programs set _res.nsaddr_list to pick a name server.
 * /etc/nsswitch.conf must say "hosts: files dns" (or at least dns); names under
 * greenpatch.test are in no /etc/hosts.
 *
 * The server knows, under greenpatch.test:
 *   fast   A 192.0.2.1 (or 198.51.100.1 from a server made with second = true),
 *          AAAA 2001:db8::1
 *   www    CNAME fast, with fast's A record
 *   slow   A 192.0.2.2, answered only once the program has allowed it (a byte on
 *          server->gate): a lookup that waits for another thread of the program
 *   and the PTR records 1.2.0.192.in-addr.arpa -> fast, 2.2.0.192.in-addr.arpa -> slow
 *   (the latter also waits for the gate).
 * Every other name is NXDOMAIN; a known name without a record of the asked type is an
 * empty answer (NODATA). A datagram shorter than a DNS header stops the server. */
#ifndef RESOLVE_DNS_H
#define RESOLVE_DNS_H

#include "thread_prog.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <unistd.h>

struct dns_server {
    int fd;             /* the UDP socket on 127.0.0.1 */
    struct sockaddr_in addr;
    bool second;        /* answers fast with 198.51.100.1 */
    int gate[2];        /* a byte written to gate[1] lets one slow answer go */
    int slow_answered;  /* how many slow queries were answered */
    pthread_t thread;
};

enum { DNS_MAX = 512, DNS_HEADER = 12, DNS_TTL = 60 };

/* The query's name, lowercase and dotted, into name; returns the offset after it, or 0. */
static inline size_t dns_read_name(const unsigned char *m, size_t len, char *name, size_t size)
{
    size_t at = DNS_HEADER, out = 0;
    while (at < len && m[at] != 0) {
        size_t label = m[at++];
        if (label > 63 || at + label > len || out + label + 2 > size)
            return 0;
        if (out)
            name[out++] = '.';
        for (size_t i = 0; i < label; i++)
            name[out++] = (char)tolower(m[at + i]);
        at += label;
    }
    name[out] = 0;
    return at < len ? at + 1 : 0;
}

/* Appends name in DNS form. */
static inline size_t dns_put_name(unsigned char *m, size_t at, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t label = dot ? (size_t)(dot - name) : strlen(name);
        m[at++] = (unsigned char)label;
        memcpy(m + at, name, label);
        at += label;
        name += label + (dot ? 1 : 0);
    }
    m[at++] = 0;
    return at;
}

/* Appends a record for owner (a pointer to the question's name when owner is NULL). */
static inline size_t dns_put_record(unsigned char *m, size_t at, const char *owner, int type,
                             const void *data, size_t data_len, bool data_is_name)
{
    if (owner) {
        at = dns_put_name(m, at, owner);
    } else {
        m[at++] = 0xc0;
        m[at++] = DNS_HEADER;
    }
    const unsigned char fixed[] = {0, (unsigned char)type, 0, ns_c_in, 0, 0, 0, DNS_TTL};
    memcpy(m + at, fixed, sizeof fixed);
    at += sizeof fixed;
    size_t len_at = at;
    at += 2;
    if (data_is_name)
        at = dns_put_name(m, at, data);
    else {
        memcpy(m + at, data, data_len);
        at += data_len;
    }
    size_t rdlen = at - len_at - 2;
    m[len_at] = (unsigned char)(rdlen >> 8);
    m[len_at + 1] = (unsigned char)rdlen;
    return at;
}

static inline bool dns_slow(const char *name)
{
    return !strcmp(name, "slow.greenpatch.test") || !strcmp(name, "2.2.0.192.in-addr.arpa");
}

/* Builds the answer to query q (q_len bytes, question ending at question_end) in a. */
static inline size_t dns_answer(const struct dns_server *s, const unsigned char *q, size_t question_end,
                         const char *name, int type, unsigned char *a)
{
    static const unsigned char fast_a[] = {192, 0, 2, 1}, second_a[] = {198, 51, 100, 1},
                               slow_a[] = {192, 0, 2, 2},
                               fast_aaaa[] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0,
                                              0, 0, 0, 0, 0, 0, 0, 1};
    memcpy(a, q, question_end);
    a[2] = (unsigned char)(0x84 | (q[2] & 0x01)); /* QR, AA, RD as asked */
    a[3] = 0x80;                                  /* RA, NOERROR */
    memset(a + 4 + 2, 0, 6);                      /* no answers, authority, additional yet */
    size_t at = question_end;
    int answers = 0;
    const unsigned char *fast = s->second ? second_a : fast_a;
    if (!strcmp(name, "fast.greenpatch.test") && type == ns_t_a) {
        at = dns_put_record(a, at, NULL, ns_t_a, fast, 4, false), answers = 1;
    } else if (!strcmp(name, "fast.greenpatch.test") && type == ns_t_aaaa) {
        at = dns_put_record(a, at, NULL, ns_t_aaaa, fast_aaaa, 16, false), answers = 1;
    } else if (!strcmp(name, "www.greenpatch.test") && type == ns_t_a) {
        at = dns_put_record(a, at, NULL, ns_t_cname, "fast.greenpatch.test", 0, true);
        at = dns_put_record(a, at, "fast.greenpatch.test", ns_t_a, fast, 4, false);
        answers = 2;
    } else if (!strcmp(name, "slow.greenpatch.test") && type == ns_t_a) {
        at = dns_put_record(a, at, NULL, ns_t_a, slow_a, 4, false), answers = 1;
    } else if (!strcmp(name, "1.2.0.192.in-addr.arpa") && type == ns_t_ptr) {
        at = dns_put_record(a, at, NULL, ns_t_ptr, "fast.greenpatch.test", 0, true), answers = 1;
    } else if (!strcmp(name, "2.2.0.192.in-addr.arpa") && type == ns_t_ptr) {
        at = dns_put_record(a, at, NULL, ns_t_ptr, "slow.greenpatch.test", 0, true), answers = 1;
    } else if (strcmp(name, "fast.greenpatch.test") && strcmp(name, "www.greenpatch.test") &&
               strcmp(name, "slow.greenpatch.test")) {
        a[3] |= ns_r_nxdomain;
    }
    a[7] = (unsigned char)answers;
    return at;
}

static inline void *dns_serve(void *p)
{
    struct dns_server *s = p;
    for (;;) {
        unsigned char q[DNS_MAX], a[DNS_MAX];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0 && errno == EINTR)
            continue;
        must_succeed(n < 0 ? errno : 0, "recvfrom");
        if (n < DNS_HEADER)
            return NULL;
        char name[256];
        size_t end = dns_read_name(q, (size_t)n, name, sizeof name);
        if (!end || end + 4 > (size_t)n || end + 4 > DNS_MAX / 2)
            continue;
        int type = q[end] << 8 | q[end + 1];
        if (dns_slow(name)) {
            char byte;
            must_succeed(read(s->gate[0], &byte, 1) == 1 ? 0 : EIO, "read of the gate");
            s->slow_answered++;
        }
        size_t len = dns_answer(s, q, end + 4, name, type, a);
        must_succeed(sendto(s->fd, a, len, 0, (struct sockaddr *)&from, from_len) < 0 ? errno : 0,
                     "sendto");
    }
}

static inline void dns_start(struct dns_server *s, bool second)
{
    memset(s, 0, sizeof *s);
    s->second = second;
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    must_succeed(s->fd < 0 ? errno : 0, "socket");
    s->addr.sin_family = AF_INET;
    s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    must_succeed(bind(s->fd, (struct sockaddr *)&s->addr, sizeof s->addr) ? errno : 0, "bind");
    socklen_t len = sizeof s->addr;
    must_succeed(getsockname(s->fd, (struct sockaddr *)&s->addr, &len) ? errno : 0, "getsockname");
    must_succeed(pipe(s->gate) ? errno : 0, "pipe");
    s->thread = start_thread(NULL, dns_serve, s);
}

/* Lets one slow answer go (a coop ticker's wake function). */
static inline void dns_open_gate(void *p)
{
    struct dns_server *s = p;
    must_succeed(write(s->gate[1], "x", 1) == 1 ? 0 : EIO, "write of the gate");
}

static inline void dns_stop(struct dns_server *s)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    must_succeed(sendto(fd, "stop", 4, 0, (struct sockaddr *)&s->addr, sizeof s->addr) < 0 ? errno : 0,
                 "sendto");
    close(fd);
    join_or_die(s->thread);
    close(s->fd);
    close(s->gate[0]);
    close(s->gate[1]);
}

/* Points a resolver state (the calling thread's _res when state is NULL) at server s only:
 * one try, no search list, a generous timeout (a slow answer waits for other threads). */
static inline void use_test_dns(res_state state, const struct dns_server *s)
{
    if (!state) {
        must_succeed(res_init() ? EIO : 0, "res_init");
        state = &_res;
    } else {
        memset(state, 0, sizeof *state);
        must_succeed(res_ninit(state) ? EIO : 0, "res_ninit");
    }
    state->nscount = 1;
    state->nsaddr_list[0] = s->addr;
    state->retrans = 5;
    state->retry = 1;
    state->options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
    state->dnsrch[0] = NULL;
}

#endif
