/* How the resolve_* helper programs print what a lookup returned: every field, in a form
 * that is the same natively and under the shim, so that the two runs compare byte for
 * byte. */
#ifndef RESOLVE_PRINT_H
#define RESOLVE_PRINT_H

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

static inline const char *h_errno_name(int e)
{
    switch (e) {
    case NETDB_INTERNAL: return "NETDB_INTERNAL";
    case NETDB_SUCCESS: return "NETDB_SUCCESS";
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    default: return "h_errno?";
    }
}

static inline const char *eai_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_OVERFLOW: return "EAI_OVERFLOW";
    case EAI_NODATA: return "EAI_NODATA";
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
    default: return "EAI?";
    }
}

static inline void print_address(FILE *f, int family, const void *addr)
{
    char text[INET6_ADDRSTRLEN];
    fputs(inet_ntop(family, addr, text, sizeof text) ? text : "?", f);
}

static inline void print_sockaddr(FILE *f, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        print_address(f, AF_INET, &in->sin_addr);
        fprintf(f, " port %d", ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        print_address(f, AF_INET6, &in6->sin6_addr);
        fprintf(f, " port %d", ntohs(in6->sin6_port));
    } else {
        fprintf(f, "family %d", sa->sa_family);
    }
}

/* "what: 0, 2 results: [AF_INET SOCK_STREAM 6 127.0.0.1 port 80 canon NAME] ..." */
static inline void print_addrinfo(const char *what, int r, struct addrinfo *res)
{
    printf("%s: %s", what, eai_name(r));
    if (r == 0) {
        int n = 0;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
            n++;
        printf(", %d results:", n);
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            printf(" [%s %d %d ", ai->ai_family == AF_INET ? "inet" : ai->ai_family == AF_INET6 ? "inet6" : "?",
                   ai->ai_socktype, ai->ai_protocol);
            print_sockaddr(stdout, ai->ai_addr);
            if (ai->ai_canonname)
                printf(" canon %s", ai->ai_canonname);
            printf("]");
        }
    }
    printf("\n");
}

/* "what: NAME aliases [A B] inet addrs [192.0.2.1]" or "what: NULL, h_errno NAME". */
static inline void print_hostent(FILE *f, const char *what, const struct hostent *h, int h_err)
{
    if (!h) {
        fprintf(f, "%s: NULL, h_errno %s\n", what, h_errno_name(h_err));
        return;
    }
    fprintf(f, "%s: %s aliases [", what, h->h_name);
    for (char **a = h->h_aliases; *a; a++)
        fprintf(f, "%s%s", a == h->h_aliases ? "" : " ", *a);
    fprintf(f, "] %s length %d addrs [", h->h_addrtype == AF_INET ? "inet" : h->h_addrtype == AF_INET6 ? "inet6" : "?",
            h->h_length);
    for (char **a = h->h_addr_list; *a; a++) {
        if (a != h->h_addr_list)
            fputc(' ', f);
        print_address(f, h->h_addrtype, *a);
    }
    fprintf(f, "]\n");
}

/* A DNS answer without its first two bytes (the query id, random in every run). */
static inline void print_answer(const char *what, int len, const unsigned char *answer, int h_err)
{
    if (len < 0) {
        printf("%s: -1, h_errno %s\n", what, h_errno_name(h_err));
        return;
    }
    printf("%s: %d bytes:", what, len);
    for (int i = 2; i < len; i++)
        printf(" %02x", answer[i]);
    printf("\n");
}

#endif
