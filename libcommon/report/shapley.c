/* SPDX-License-Identifier: MIT */
/* shapley.c - exact Shapley values over all coalitions (shapley.h).
 *
 * O(n 2^n): every coalition S is visited once per player m not in S.  The
 * weights s!(n-s-1)!/n! are computed as 1 / (n * C(n-1, s)) in double, which
 * is exact enough for n <= 16 (C(15, 7) = 6435). */
#include <math.h>
#include <stddef.h>

#include "core/error.h"
#include "report/shapley.h"

int asgml_shapley_coalition_size(unsigned mask)
{
    int c = 0;
    while (mask) {
        mask &= mask - 1;
        c++;
    }
    return c;
}

/* C(n, k) in double (exact for the small n used here). */
static double binomial(int n, int k)
{
    double r = 1.0;
    if (k < 0 || k > n)
        return 0.0;
    if (k > n - k)
        k = n - k;
    for (int i = 1; i <= k; i++)
        r = r * (double)(n - k + i) / (double)i;
    return r;
}

double asgml_shapley_weight(int n, int s)
{
    if (n < 1 || s < 0 || s > n - 1)
        return 0.0;
    return 1.0 / ((double)n * binomial(n - 1, s));
}

asgml_status asgml_shapley_values(int n, const double *v, double *phi)
{
    double weight[ASGML_SHAPLEY_MAX_PLAYERS];

    if (n < 1 || n > ASGML_SHAPLEY_MAX_PLAYERS || !v || !phi)
        return ASGML_ERR(ASGML_EINVAL, "%d players (1..%d allowed)",
                           n, ASGML_SHAPLEY_MAX_PLAYERS);
    unsigned full = (1u << n) - 1u;
    for (unsigned s = 0; s <= full; s++)
        if (!isfinite(v[s]))
            return ASGML_ERR(ASGML_ENUMERIC, "worth of coalition 0x%x is %g", s, v[s]);
    for (int s = 0; s < n; s++)
        weight[s] = asgml_shapley_weight(n, s);
    for (int m = 0; m < n; m++) {
        unsigned bit = 1u << m;
        double acc = 0.0;
        for (unsigned s = 0; s <= full; s++) {
            if (s & bit)
                continue;
            acc += weight[asgml_shapley_coalition_size(s)] * (v[s | bit] - v[s]);
        }
        phi[m] = acc;
    }
    return ASGML_OK;
}
