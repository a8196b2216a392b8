/* See identity.h. */
#include "identity.h"

#include "real.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

int gp__identity_set_name(struct gp_thread *t, const char *name)
{
    size_t len = strlen(name);
    if (len >= GP_NAME_SIZE)
        return -ERANGE;
    if (t->is_main) {
        int r = gp__real.pthread_setname_np(gp__sched_os_thread(), name);
        if (r != 0)
            return -r;
    }
    memcpy(t->name, name, len + 1);
    return 0;
}

int gp__identity_get_name(const struct gp_thread *t, char *buf, size_t len)
{
    if (len < GP_NAME_SIZE)
        return -ERANGE;
    memcpy(buf, t->name, GP_NAME_SIZE);
    return 0;
}

void gp__identity_inherit(struct gp_thread *t, const struct gp_thread *creator)
{
    memcpy(t->name, creator->name, GP_NAME_SIZE);
}

void gp__identity_adopt_main(struct gp_thread *main)
{
    _Static_assert(sizeof main->name == GP_NAME_SIZE, "PR_GET_NAME writes 16 bytes");
    if (prctl(PR_GET_NAME, main->name) != 0)
        main->name[0] = '\0';
}

/* The OS thread's CPU affinity into attr, in a set as large as the kernel wants (glibc's
 * pthread_getattr_np grows it the same way). */
static int copy_affinity(pthread_attr_t *attr)
{
    int r;
    size_t size = sizeof(cpu_set_t);
    cpu_set_t *set = NULL;
    do {
        cpu_set_t *bigger = realloc(set, size);
        if (!bigger) {
            free(set);
            return -ENOMEM;
        }
        set = bigger;
        r = gp__real.pthread_getaffinity_np(gp__sched_os_thread(), size, set);
        size *= 2;
    } while (r == EINVAL && size <= 1024 * 1024);
    if (r == 0)
        r = pthread_attr_setaffinity_np(attr, size / 2, set);
    free(set);
    return -r;
}

int gp__identity_attr(const struct gp_thread *t, pthread_attr_t *attr)
{
    int r = pthread_attr_init(attr);
    if (r != 0)
        return -r;
    int policy;
    struct sched_param param;
    const struct gp_stack *s = &t->fiber.stack;
    r = gp__real.pthread_getschedparam(gp__sched_os_thread(), &policy, &param);
    if (r == 0)
        r = pthread_attr_setschedpolicy(attr, policy);
    if (r == 0)
        r = pthread_attr_setschedparam(attr, &param);
    if (r == 0)
        r = pthread_attr_setdetachstate(attr, t->detached ? PTHREAD_CREATE_DETACHED
                                                          : PTHREAD_CREATE_JOINABLE);
    if (r == 0)
        r = pthread_attr_setstack(attr, s->base, s->size);
    if (r == 0)
        r = pthread_attr_setguardsize(attr, s->guard);
    if (r == 0)
        r = -copy_affinity(attr);
    if (r != 0)
        pthread_attr_destroy(attr);
    return -r;
}
