/* system() lets the other green threads run while the command does. glibc's system waits
 * for the shell in an internal waitpid that no interposer sees, so the call is rebuilt on
 * posix_spawn and the cooperative wait, with glibc's observable behaviour
 * (runtime/process.h). A cancellation point: a cancelled system kills the shell, as glibc's
 * does.
 * Interposes: system.
 * coverage cooperative: system */
#include "shim.h"

#include "cancel.h"
#include "process.h"

#include <stdlib.h>

GP_EXPORT int system(const char *command)
{
    gp__cancel_point();
    if (!gp_cooperative())
        return gp__real.system(command);
    int saved = errno, error;
    int status = gp__process_system(command, &error);
    gp__cancel_point_after(-error);
    errno = error ? error : saved;
    return status;
}
