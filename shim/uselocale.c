/* The calling thread's locale (runtime/tls.h). glibc keeps it in the OS thread's
 * thread-local storage, which every green thread shares: the shim records each green
 * thread's and installs it when the thread is resumed, so that uselocale in one green
 * thread does not change how another formats numbers or decodes characters.
 * Interposes: uselocale, __uselocale (the name libstdc++ calls). */
#include "shim.h"

#include "tls.h"

#include <locale.h>

GP_EXPORT locale_t uselocale(locale_t locale)
{
    if (!gp_green())
        return gp__real.uselocale(locale);
    return gp__tls_uselocale(gp__current, locale);
}

GP_EXPORT locale_t __uselocale(locale_t locale) __attribute__((alias("uselocale"), copy(uselocale)));
