/* Prints the GREENPATCH_* variables of its environment, sorted, one per line: what the
 * wrapper's options set (tests/test_install.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **found = calloc(n + 1, sizeof *found);
    if (!found)
        return 1;
    size_t count = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "GREENPATCH_", 11) == 0)
            found[count++] = *e;
    qsort(found, count, sizeof *found, by_text);
    for (size_t i = 0; i < count; i++)
        printf("%s\n", found[i]);
    free(found);
    return 0;
}
