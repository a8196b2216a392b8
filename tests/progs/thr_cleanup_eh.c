/* thr_cleanup.c built with -fexceptions: pthread_cleanup_push becomes a cleanup attribute
 * that the unwinder of pthread_exit runs (Makefile: CFLAGS_thr_cleanup_eh). */
#include "thr_cleanup.c"
