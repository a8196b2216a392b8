/* Binary stream input and output on sockets, pipes, FIFOs and terminals without stalling
 * other green threads (runtime/streams.h): fread waits for each piece cooperatively and
 * returns when it has everything or meets end of file or an error, as natively; fwrite
 * writes what glibc would write through the runtime's cooperative write.
 * Interposes: fread, __fread_chk, fwrite.
 * coverage cooperative: fread __fread_chk fwrite */
#include "shim.h"

#include "streams.h"

#include <stdint.h>
#include <stdio.h>

GP_EXPORT size_t fread(void *buf, size_t size, size_t count, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, size * count, -1))
        return gp__real.fread(buf, size, count, fp);
    return gp__stream_fread(buf, size, count, fp, true, SIZE_MAX);
}

GP_EXPORT size_t __fread_chk(void *buf, size_t buf_size, size_t size, size_t count, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_get(fp, true, size * count, -1))
        return gp__real.__fread_chk(buf, buf_size, size, count, fp);
    return gp__stream_fread(buf, size, count, fp, true, buf_size);
}

GP_EXPORT size_t fwrite(const void *buf, size_t size, size_t count, FILE *fp)
{
    if (!gp_cooperative() || gp__stream_plain_put(fp, true, buf, size * count))
        return gp__real.fwrite(buf, size, count, fp);
    return gp__stream_fwrite(buf, size, count, fp, true);
}
