/* A program written against the explicit API (greenpatch.h), linked with -lgreenpatch: no
 * preload needed. Green threads sleep, yield and join; their order of events is fixed by
 * the scheduler (spawned threads run in spawn order, yields go round robin, sleepers wake
 * in deadline order), and gp_self names each thread. */
#include "greenpatch.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char order[64];
static size_t order_len;

static void *sleeper(void *arg)
{
    uintptr_t tenths = (uintptr_t)arg;
    gp_sleep(tenths * 20000000u); /* 20 ms steps */
    order[order_len++] = (char)('0' + tenths);
    return (void *)(uintptr_t)gp_self().id;
}

static void *yielder(void *arg)
{
    for (int i = 0; i < 3; i++) {
        order[order_len++] = *(const char *)arg;
        gp_yield();
    }
    return NULL;
}

int main(void)
{
    printf("before any spawn, gp_self: %s\n", gp_self().id ? "a thread" : "none");
    gp_thread_t t[3];
    const char *names = "abc";
    for (int i = 0; i < 3; i++)
        if (gp_spawn(&t[i], yielder, (void *)(names + i)))
            return 1;
    for (int i = 0; i < 3; i++)
        gp_join(t[i], NULL);
    printf("yields: %.*s\n", (int)order_len, order);
    printf("main is a green thread now: %s\n", gp_self().id ? "yes" : "no");

    order_len = 0;
    uintptr_t steps[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++)
        if (gp_spawn(&t[i], sleeper, (void *)steps[i]))
            return 1;
    int self_ok = 1;
    for (int i = 0; i < 3; i++) {
        void *result;
        if (gp_join(t[i], &result) || (uintptr_t)result != t[i].id)
            self_ok = 0;
    }
    printf("sleepers woke in order: %.*s\n", (int)order_len, order);
    printf("each thread's gp_self was its handle: %s\n", self_ok ? "yes" : "no");
    printf("joining oneself: %s\n", gp_join(gp_self(), NULL) ? strerror(gp_join(gp_self(), NULL)) : "0");
    return 0;
}
