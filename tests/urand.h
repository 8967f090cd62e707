/* SPDX-License-Identifier: MIT */
/* urand.h - the tests' uniform random floats: a 64-bit LCG, seeded by the
 * includer with #define URAND_SEED before the #include, so that each test
 * keeps its own fixed stream.
 *   urand()       next float in [-1, 1)
 *   rand_buf(n)   n of them in a new buffer */
#ifndef ASGML_TEST_URAND_H
#define ASGML_TEST_URAND_H
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = URAND_SEED;

static float urand(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(rng_state >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

static float *rand_buf(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = urand();
    return p;
}
#endif
