/* tls_counters.c as a third library, loaded with dlopen, its variables reached with the
 * initial-exec model (CFLAGS_tls_loaded_ie in the Makefile). Its block is small: such a
 * library takes its place from glibc's small surplus of static TLS. */
#include "tls_counters.c"
