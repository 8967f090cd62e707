/* SPDX-License-Identifier: MIT */
/* fixture.h - reading committed fixture files in the C tests.
 * Set fixdir (e.g. "$top_srcdir/tests/fixtures/dsp") first; slurp(name)
 * returns the whole file, malloc'd (NULL if it cannot be read). */
#ifndef ASGML_TEST_FIXTURE_H
#define ASGML_TEST_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>

static char fixdir[400];

static void *slurp(const char *name, size_t *len)
{
    char p[1200];
    FILE *f;
    unsigned char *buf;
    long n;
    snprintf(p, sizeof p, "%s/%s", fixdir, name);
    f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}
#endif
