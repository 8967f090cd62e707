/* SPDX-License-Identifier: MIT */
/* prep_stats.c - training-split feature statistics for /stats (prep_stats.h). */
#include "data/prep_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

asgml_status prep_moments_init(prep_moments *s, int dim)
{
    memset(s, 0, sizeof *s);
    s->dim = dim;
    s->mean = calloc((size_t)(dim > 0 ? dim : 1), sizeof *s->mean);
    s->m2 = calloc((size_t)(dim > 0 ? dim : 1), sizeof *s->m2);
    if (!s->mean || !s->m2) {
        prep_moments_free(s);
        return asgml_error(ASGML_ENOMEM, "out of memory");
    }
    return ASGML_OK;
}

void prep_moments_free(prep_moments *s)
{
    free(s->mean);
    free(s->m2);
    s->mean = s->m2 = NULL;
    s->n = 0;
}

/* value j of feature d of the sample, in the units of the statistics */
static double value(prep_stats_kind kind, const void *data, int D, int64_t rows, int d, int64_t j)
{
    switch (kind) {
    case PREP_STATS_F32_ROWS_BY_FIRST: return (double)((const float *)data)[(int64_t)d * rows + j];
    case PREP_STATS_F32_COLS: return (double)((const float *)data)[j * D + d];
    case PREP_STATS_I16_WAVE: return (double)((const int16_t *)data)[j] / 32768.0;
    case PREP_STATS_U8_CHANNELS: return (double)((const uint8_t *)data)[j * D + d] / 255.0;
    }
    return 0;
}

/* One loop per kind (the value's expression hoisted out of the loops; u8 by
 * a table of x / 255.0), the same sums in the same order as value(). */
#define MOMENTS_LOOP(EXPR)                                              \
    for (int d = 0; d < s->dim; d++) {                                  \
        double sum = 0, m2 = 0, mean;                                   \
        for (int64_t j = 0; j < s->n; j++) sum += (EXPR);               \
        mean = s->n ? sum / (double)s->n : 0;                           \
        for (int64_t j = 0; j < s->n; j++) {                            \
            double e = (EXPR) - mean;                                   \
            m2 += e * e;                                                \
        }                                                               \
        s->mean[d] = mean;                                              \
        s->m2[d] = m2;                                                  \
    }

void prep_moments_of(prep_moments *s, prep_stats_kind kind, const void *data, int64_t rows)
{
    s->n = rows > 0 ? rows : 0;
    const int64_t D = s->dim;
    if (kind == PREP_STATS_U8_CHANNELS) {
        double tab[256];
        const uint8_t *u = data;
        for (int v = 0; v < 256; v++) tab[v] = (double)v / 255.0;
        MOMENTS_LOOP(tab[u[j * D + d]])
        return;
    }
    if (kind == PREP_STATS_F32_ROWS_BY_FIRST) {
        const float *f = data;
        MOMENTS_LOOP((double)f[(int64_t)d * rows + j])
        return;
    }
    for (int d = 0; d < s->dim; d++) {
        double sum = 0, m2 = 0, mean;
        for (int64_t j = 0; j < s->n; j++)
            sum += value(kind, data, s->dim, rows, d, j);
        mean = s->n ? sum / (double)s->n : 0;
        for (int64_t j = 0; j < s->n; j++) {
            double e = value(kind, data, s->dim, rows, d, j) - mean;
            m2 += e * e;
        }
        s->mean[d] = mean;
        s->m2[d] = m2;
    }
}

void prep_moments_merge(prep_moments *acc, const prep_moments *s)
{
    if (s->n == 0)
        return;
    if (acc->n == 0) {
        memcpy(acc->mean, s->mean, (size_t)acc->dim * sizeof *acc->mean);
        memcpy(acc->m2, s->m2, (size_t)acc->dim * sizeof *acc->m2);
        acc->n = s->n;
        return;
    }
    double na = (double)acc->n, nb = (double)s->n, n = na + nb;
    for (int d = 0; d < acc->dim; d++) {
        double delta = s->mean[d] - acc->mean[d];
        acc->mean[d] += delta * (nb / n);
        acc->m2[d] += s->m2[d] + delta * delta * (na * nb / n);
    }
    acc->n += s->n;
}

asgml_status prep_moments_write(asgml_store_writer *w, const prep_moments *acc, const char *group,
                                const char *split, const char *dataset, const char *units)
{
    char path[160];
    int64_t D = acc->dim;
    asgml_status st = ASGML_OK;
    if (acc->n == 0)
        return ASGML_OK;
    double *sd = malloc((size_t)D * sizeof *sd);
    if (!sd)
        return asgml_error(ASGML_ENOMEM, "out of memory");
    for (int64_t d = 0; d < D; d++)
        sd[d] = sqrt(acc->m2[d] / (double)acc->n);
    for (int which = 0; which < 2 && !st; which++) {
        snprintf(path, sizeof path, "%s/%s", group, which ? "std" : "mean");
        st = asgml_sw_write_array(w, path, ASGML_SW_F64, 1, &D, which ? sd : acc->mean);
        if (!st) st = asgml_sw_attr_str(w, path, "split", split);
        if (!st) st = asgml_sw_attr_str(w, path, "dataset", dataset);
        if (!st) st = asgml_sw_attr_i64(w, path, "count", acc->n);
        if (!st) st = asgml_sw_attr_i64(w, path, "ddof", 0);
        if (!st) st = asgml_sw_attr_str(w, path, "units", units);
    }
    free(sd);
    return st;
}
