/* tls_counters.c as a second library, which tls_libs loads with dlopen (Makefile). */
#include "tls_counters.c"
