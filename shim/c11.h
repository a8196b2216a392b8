/* What the C11 thread functions share (shim/thrd_create.c). */
#ifndef GP_SHIM_C11_H
#define GP_SHIM_C11_H

/* A pthread error number as a C11 result (glibc's thrd_err_map). */
int gp_c11_result(int error);

#endif
