/* Start-up: the real-symbol table and the settings, once, before main if possible. Calls
 * that arrive earlier (another library's constructor) run the same initialisation first. */
#ifndef GP_INIT_H
#define GP_INIT_H

#include <stdbool.h>

/* True once the shim may use gp__real and gp__config. */
extern bool gp__ready;

/* Initialises if needed; false only while dlsym re-enters the shim during initialisation
 * (the caller then has no table to use and must fall back). */
bool gp__init_slow(void);

static inline bool gp__init(void)
{
    return __builtin_expect(__atomic_load_n(&gp__ready, __ATOMIC_ACQUIRE), 1) || gp__init_slow();
}

#endif
