/* Shell word expansion. With command substitution glibc's wordexp forks /bin/sh and waits
 * for it with its internal waitpid, which no interposer sees: the whole call goes to the
 * worker pool (forking from a worker thread is fine: the child runs the shell only).
 * Interposes: wordexp.
 *
 * coverage pool: wordexp */
#include "shim.h"

#include "pool.h"

#include <wordexp.h>

struct wordexp_call {
    const char *words;
    wordexp_t *result;
    int flags;
};

/* wordexp returns its own WRDE_* codes, never -1: they pass through the pool unchanged. */
static long wordexp_on_worker(void *p)
{
    struct wordexp_call *c = p;
    return gp__real.wordexp(c->words, c->result, c->flags);
}

GP_EXPORT int wordexp(const char *words, wordexp_t *result, int flags)
{
    if (!gp_cooperative())
        return gp__real.wordexp(words, result, flags);
    int saved = errno;
    struct wordexp_call c = {.words = words, .result = result, .flags = flags};
    int r = (int)gp__pool_call(wordexp_on_worker, &c);
    errno = saved;
    return r;
}
