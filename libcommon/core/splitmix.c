/* SPDX-License-Identifier: MIT */
/* splitmix.c - SplitMix64 streams for prep-time randomness
 * (asgml-prep(1), DATA SETS, Common rules (SplitMix64)).  All integer results are bit-exact
 * across platforms; the Gaussian goes through libm (log, cos, sqrt). */
#include <math.h>

#include "data/decode.h"

/* Stream for purpose tag t: s = seed ^ (t * 0xD1B54A32D192ED03) mod 2^64. */
void asgml_splitmix_init(asgml_splitmix *r, uint64_t seed, uint64_t tag)
{
    r->s = seed ^ (tag * UINT64_C(0xD1B54A32D192ED03));
}

uint64_t asgml_splitmix_next(asgml_splitmix *r)
{
    uint64_t z;
    r->s += UINT64_C(0x9E3779B97F4A7C15);
    z = r->s;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform integer in [0,n): redraw while r >= 2^64 - (2^64 mod n), then
 * r mod n.  n == 0 returns 0 without drawing (empty range). */
uint64_t asgml_splitmix_below(asgml_splitmix *r, uint64_t n)
{
    uint64_t rem, v;
    if (n == 0)
        return 0;
    rem = (UINT64_C(0) - n) % n;          /* 2^64 mod n */
    do {
        v = asgml_splitmix_next(r);
    } while (rem != 0 && v >= UINT64_C(0) - rem);  /* 2^64 - rem */
    return v % n;
}

/* Real in (0,1]: ((r >> 11) + 1) * 2^-53. */
double asgml_splitmix_real(asgml_splitmix *r)
{
    return (double)((asgml_splitmix_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Standard normal, Box-Muller, one value per pair: sqrt(-2 ln u1) cos(2 pi u2),
 * u1 drawn first.  Two draws per call. */
double asgml_splitmix_gauss(asgml_splitmix *r)
{
    double u1 = asgml_splitmix_real(r);
    double u2 = asgml_splitmix_real(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Fisher-Yates: i from n-1 down to 1, j uniform in [0,i], swap a[i], a[j]. */
void asgml_splitmix_shuffle(asgml_splitmix *r, int64_t *a, int64_t n)
{
    for (int64_t i = n - 1; i >= 1; i--) {
        int64_t j = (int64_t)asgml_splitmix_below(r, (uint64_t)i + 1);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
